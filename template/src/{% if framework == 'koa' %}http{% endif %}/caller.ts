import type { Middleware } from 'koa';
import type { PostHog } from 'posthog-node';
import type { Store, User } from '../data/store.ts';
import { posthogContext, resolveCaller, type Caller } from '../domain/caller.ts';
import { HttpError } from '../domain/errors.ts';

/** What this app keeps in ctx.state. */
export interface State {
  /** Who is calling: set for every request by callerContext. */
  caller?: Caller;
  /** The signed-in user; requireUser makes sure there is one. */
  user?: User;
}

/**
 * Resolves who is calling, once per request (a valid bearer token's user,
 * else posthog-js's X-POSTHOG-DISTINCT-ID / X-POSTHOG-SESSION-ID headers), and
 * runs the rest of the request in PostHog's context: every event a route
 * captures carries that person and session.
 */
export function callerContext(store: Store, posthog: PostHog): Middleware<State> {
  return async (ctx, next) => {
    const caller = await resolveCaller(store, { headers: ctx.headers, method: ctx.method, url: ctx.originalUrl });
    ctx.state.caller = caller;
    ctx.state.user = caller.user;
    await posthog.withContext(posthogContext(caller), next, { fresh: true });
  };
}

/** A route for signed-in users only: anyone else gets a 401. */
export const requireUser: Middleware<State> = (ctx, next) => {
  if (!ctx.state.user) throw new HttpError(401, 'Missing or invalid bearer token');
  return next();
};
