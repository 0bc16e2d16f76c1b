import { clientErrorOf, HttpError, serverErrorStatusOf } from './http-error.js';
import { identifyCaller, posthogContextOf, resolveRequestContext } from './request-context.js';
import { createRoutes } from './routes.js';

export { BODY_LIMIT_BYTES } from './body.js';

/**
 * What a framework adapter needs, and nothing framework-specific: the routes,
 * how to resolve a request's identity, and how to answer errors. Adding a
 * framework means writing one adapter against this object.
 */
export function createApi({ store, posthog, production, frontend, log = console }) {
  function authorize(route) {
    if (!route.auth) return route.handler;
    return (request) => {
      if (!request.user) throw new HttpError(401, 'Missing or invalid bearer token');
      return route.handler(request);
    };
  }

  const routes = createRoutes({ store, posthog, production }).map((route) => {
    const handler = authorize(route);
    return {
      method: route.method,
      path: route.path,
      // Only these routes read a body (body.js); the others ignore any.
      takesBody: route.bodySchema !== undefined,
      // The token is looked up here, inside the route, so that a database that
      // fails is answered like any other error of the request; the handler then
      // runs under the caller's own distinct id.
      async handle(request) {
        const context = await identifyCaller(request.context, store);
        return posthog.withContext(posthogContextOf(context), () => handler({ ...request, user: context.user }), {
          fresh: true,
        });
      },
    };
  });

  return {
    routes,
    pageRoutes: frontend.routes,
    staticRoots: frontend.staticRoots,

    /** Who is calling and from which session: resolved once per request. */
    resolveContext(request) {
      return resolveRequestContext(request);
    },

    /** Runs the rest of the request so that every event it captures carries its context. */
    runInContext(context, next) {
      return posthog.withContext(posthogContextOf(context), next, { fresh: true });
    },

    notFound() {
      return { status: 404, body: { error: 'Not Found' } };
    },

    /**
     * A client's mistake is answered with its own 4xx, a database that is down
     * for now with a 503; anything else is a 500.
     */
    errorResponse(error) {
      const clientError = clientErrorOf(error);
      if (clientError) return { status: clientError.status, body: { error: clientError.message } };
      if (serverErrorStatusOf(error) === 503) return { status: 503, body: { error: 'Service Unavailable' } };
      return {
        status: 500,
        body: production
          ? { error: 'Internal Server Error' }
          : { error: 'Internal Server Error', stack: String(error?.stack ?? error) },
      };
    },

    /** Whether an error is the server's fault, and so worth an $exception. */
    isServerError(error) {
      return clientErrorOf(error) === null;
    },

    /** One $exception per server error, under the identity of the request it broke. */
    reportError(error, context) {
      log.error(error);
      posthog.captureException(error, context?.distinctId, {
        ...context?.properties,
        ...(context?.sessionId ? { $session_id: context.sessionId } : {}),
        $response_status_code: serverErrorStatusOf(error),
      });
    },
  };
}
