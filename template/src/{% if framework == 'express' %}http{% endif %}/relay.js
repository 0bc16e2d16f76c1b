import { pipeline } from 'node:stream';
import { NOT_FOUND } from '../domain/errors.js';
import { ClientGone, forward, relayReporter, relayResponseHeaders, upstreamFor } from '../relay.js';

/**
 * The page's analytics relay, mounted at POSTHOG_PROXY_PATH before anything
 * reads the body or looks up the caller: `app.use(relay.path, posthogRelay(relay))`.
 * Every method and path below it goes on to PostHog (src/relay.js says where
 * and with which headers), the body streamed both ways. A relayed request is
 * not an API request: no caller, no database, no event; when PostHog does not
 * answer, a 502 or 504 and one log line, no $exception.
 */
export function posthogRelay(relay, log) {
  const reporter = relayReporter(log);
  return (req, res) => {
    // Below the mount path, req.url is the rest of the URL as the browser sent it.
    const upstream = upstreamFor(relay, req.url);
    if (!upstream) {
      res.status(NOT_FOUND.status).json(NOT_FOUND.body);
      return;
    }
    forward(req, upstream).then(
      (answer) => {
        reporter.answered();
        // Node's own writeHead: PostHog's status and headers exactly, Content-Type included.
        res.writeHead(answer.statusCode ?? 502, relayResponseHeaders(answer.headers));
        pipeline(answer, res, () => {});
      },
      (error) => {
        if (error instanceof ClientGone) return;
        const { status, body } = reporter.failed(error, upstream.origin);
        res.status(status).json(body);
      },
    );
  };
}
