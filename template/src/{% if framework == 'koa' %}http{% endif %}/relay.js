import mount from 'koa-mount';
import { NOT_FOUND } from '../domain/errors.js';
import { ClientGone, forward, relayReporter, relayResponseHeaders, upstreamFor } from '../relay.js';

/**
 * The page's analytics relay, mounted at POSTHOG_PROXY_PATH before anything
 * reads the body or looks up the caller: `app.use(posthogRelay(relay))`.
 * Every method and path below it goes on to PostHog (src/relay.js says where
 * and with which headers), the body streamed both ways. A relayed request is
 * not an API request: no caller, no database, no event; when PostHog does not
 * answer, a 502 or 504 and one log line, no $exception.
 */
export function posthogRelay(relay, log) {
  const reporter = relayReporter(log);
  return mount(relay.path, async (ctx) => {
    // Below the mount path, ctx.url is the rest of the URL as the browser sent it.
    const upstream = upstreamFor(relay, ctx.url);
    if (!upstream) {
      ctx.status = NOT_FOUND.status;
      ctx.body = NOT_FOUND.body;
      return;
    }
    try {
      const answer = await forward(ctx.req, upstream);
      reporter.answered();
      ctx.status = answer.statusCode ?? 502;
      ctx.set(relayResponseHeaders(answer.headers));
      // Koa streams it to the browser, and ends it if the browser goes away.
      ctx.body = answer;
    } catch (error) {
      if (error instanceof ClientGone) return;
      const { status, body } = reporter.failed(error, upstream.origin);
      ctx.status = status;
      ctx.body = body;
    }
  });
}
