import httpProxy from '@fastify/http-proxy';
import { RELAY_TIMEOUTS, relayReporter, relayRequestHeaders, relayResponseHeaders, upstreamFor } from '../../relay.js';

/**
 * The page's analytics relay at POSTHOG_PROXY_PATH, with @fastify/http-proxy:
 * every method and path below it goes on to PostHog (src/relay.js says where
 * and with which headers), the body streamed both ways, never parsed.
 * A relayed request is not an API request: its routes say `relay: true`, and
 * the posthog plugin looks up no caller for them; no database, no event. When
 * PostHog does not answer: a 502 or 504 and one log line, no $exception.
 */
const relayRoutes = async (fastify, { relay, log }) => {
  const reporter = relayReporter(log);
  // The rest of the URL below the relay path, exactly as the browser sent it.
  const upstream = ({ url }) => upstreamFor(relay, url.slice(relay.path.length) || '/');

  // Fastify's own parsers would read text/plain and JSON bodies (posthog-js
  // sends gzip as text/plain) into strings, bodyLimit and all. Without them,
  // the proxy's parser hands every body on as the stream it is.
  fastify.removeAllContentTypeParsers();
  await fastify.register(httpProxy, {
    prefix: relay.path,
    // Per request (getUpstream below): the assets host for /static and /array.
    upstream: '',
    // A custom host's own path (https://example.com/posthog) goes first.
    rewritePrefix: new URL(relay.apiHost).pathname.replace(/\/$/, ''),
    config: { relay: true },
    disableRequestLogging: true,
    undici: {
      // @fastify/reply-from turns certificate checks off unless told otherwise.
      connect: { timeout: RELAY_TIMEOUTS.connectMs, rejectUnauthorized: true },
      headersTimeout: RELAY_TIMEOUTS.answerMs,
      bodyTimeout: RELAY_TIMEOUTS.answerMs,
    },
    replyOptions: {
      getUpstream: (request) => upstream(request)?.origin ?? new URL(relay.apiHost).origin,
      // The query string as sent, not parsed and written again.
      queryString: (search, url) => (url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''),
      rewriteRequestHeaders: (request, headers) => relayRequestHeaders(headers, request.ip, String(headers.host)),
      rewriteHeaders: (headers) => relayResponseHeaders(headers),
      onResponse: (request, reply, answer) => {
        reporter.answered();
        reply.send(answer.stream);
      },
      onError: (reply, { error }) => {
        const origin = upstream(reply.request)?.origin ?? relay.apiHost;
        const { status, body } = reporter.failed(error, origin);
        reply.code(status).send(body);
      },
    },
  });
};

export default relayRoutes;
