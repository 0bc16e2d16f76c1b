import fp from 'fastify-plugin';
import type { PostHog } from 'posthog-node';
import type { Store, User } from '../../data/store.ts';
import {
  anonymousCaller,
  exceptionProperties,
  posthogContext,
  resolveCaller,
  type Caller,
} from '../../domain/caller.ts';
import { errorReply, isServerError } from '../../domain/errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    posthog: PostHog;
  }
  interface FastifyRequest {
    /** Who is calling: set for every request by the onRequest hook below. */
    caller: Caller | null;
    /** The signed-in user, if the bearer token was valid; requireUser makes sure there is one. */
    user: User | null;
  }
}

export interface PostHogPluginOptions {
  posthog: PostHog;
  store: Store;
  /** No stack traces in answers. */
  production: boolean;
}

/**
 * PostHog for every route: who is calling and PostHog's request context, once
 * per request, and every server error sent to PostHog once.
 */
export default fp<PostHogPluginOptions>(
  async (fastify, { posthog, store, production }) => {
    fastify.decorate('posthog', posthog);
    fastify.decorateRequest('caller', null);
    fastify.decorateRequest('user', null);

    // Resolves the caller (a valid bearer token's user, else posthog-js's
    // X-POSTHOG-DISTINCT-ID / X-POSTHOG-SESSION-ID headers) and runs the rest
    // of the request in PostHog's context: every event a route captures,
    // $exception included, carries that person and session. A callback-style
    // hook, so that the rest of the request runs inside withContext().
    fastify.addHook('onRequest', (request, reply, done) => {
      // The page's analytics relay (routes/relay.ts) is no API request.
      if (request.routeOptions.config.relay) return done();
      resolveCaller(store, { headers: request.headers, method: request.method, url: request.url }).then(
        (caller) => {
          request.caller = caller;
          request.user = caller.user ?? null;
          posthog.withContext(posthogContext(caller), () => done(), { fresh: true });
        },
        // The database is down: a 503, through the error handler below.
        done,
      );
    });

    // Fastify's error handler, and PostHog's place for errors (process-level
    // autocapture never sees an error Fastify has answered). Set inside a
    // fastify-plugin, it is the whole app's. A client's mistake, from our rules
    // (HttpError) or from Fastify (its JSON parser, bodyLimit, a route schema),
    // keeps its 4xx; anything else is the server's fault, sent to PostHog once.
    fastify.setErrorHandler((error, request, reply) => {
      const { status, headers, body } = errorReply(error, { production });
      // The request's log line carries the error (plugins/request-log.ts).
      if (isServerError(error)) {
        const caller =
          request.caller ?? anonymousCaller({ headers: request.headers, method: request.method, url: request.url });
        posthog.captureException(error, caller.distinctId, exceptionProperties(caller, status));
      }
      if (headers) reply.headers(headers);
      return reply.code(status).send(body);
    });
  },
  { name: 'posthog' },
);
