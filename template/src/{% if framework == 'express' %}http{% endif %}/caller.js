import { posthogContext, resolveCaller } from '../domain/caller.js';
import { HttpError } from '../domain/errors.js';

/**
 * Resolves who is calling, once per request (a valid bearer token's user,
 * else posthog-js's X-POSTHOG-DISTINCT-ID / X-POSTHOG-SESSION-ID headers), and
 * runs the rest of the request in PostHog's context: every event a route
 * captures, $exception included, carries that person and session.
 */
export function callerContext(store, posthog) {
  return async (req, res, next) => {
    req.caller = await resolveCaller(store, { headers: req.headers, method: req.method, url: req.originalUrl });
    req.user = req.caller.user;
    posthog.withContext(posthogContext(req.caller), () => next(), { fresh: true });
  };
}

/** A route for signed-in users only: anyone else gets a 401. */
export const requireUser = (req, res, next) => {
  if (!req.user) throw new HttpError(401, 'Missing or invalid bearer token');
  next();
};
