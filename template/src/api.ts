import type { Server } from 'node:http';
import type { Frontend } from './frontend.ts';
import { clientErrorOf, HttpError, serverErrorStatusOf } from './http-error.ts';
import type { AppPostHog, Log } from './posthog.ts';
import {
  identifyCaller,
  posthogContextOf,
  resolveRequestContext,
  type RequestContext,
  type RequestHead,
} from './request-context.ts';
import {
  createRoutes,
  type AuthorizedRequest,
  type Method,
  type Reply,
  type Route,
  type RouteRequest,
} from './routes.ts';
import type { Store } from './store.ts';

export { BODY_LIMIT_BYTES } from './body.ts';

/** What an adapter hands a route: the JSON body its shared reader parsed, the path parameters, the context. */
export interface ApiRequest {
  body: unknown;
  params: Record<string, string>;
  context: RequestContext;
}

/** One route of the API, as a framework adapter registers it. */
export interface ApiRoute {
  method: Method;
  path: string;
  /** Whether the adapter reads a JSON body (readJsonBody) for it. */
  takesBody: boolean;
  handle(request: ApiRequest): Promise<Reply>;
}

/** A route of the browser page: answered without a request context, so it captures nothing. */
export interface PageRoute {
  method: 'GET';
  path: string;
  handle(): Reply;
}

/** A directory the framework's own static file handler serves under a URL prefix. */
export interface StaticRoot {
  prefix: string;
  root: string;
}

/** Everything a framework adapter needs (see createApi). */
export interface Api {
  routes: ApiRoute[];
  /** The browser page's routes and files: empty when the project has no page. */
  pageRoutes: PageRoute[];
  staticRoots: StaticRoot[];
  resolveContext(request: RequestHead): RequestContext;
  runInContext<T>(context: RequestContext, next: () => T): T;
  notFound(): Reply;
  errorResponse(error: unknown): Reply;
  isServerError(error: unknown): boolean;
  reportError(error: unknown, context: RequestContext | null | undefined): void;
}

/** What createServer returns: the Node server, for server.ts to listen on, and how to close it. */
export interface ServerHandle {
  server: Server;
  /** Stops accepting connections, waits for in-flight requests, then runs onClose. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Runs once the server no longer answers requests (flushes PostHog, closes the database). */
  onClose: () => Promise<void>;
}

/** The one function each framework adapter (src/app.ts) exports. */
export type CreateServer = (api: Api, options: ServerOptions) => ServerHandle | Promise<ServerHandle>;

export interface ApiOptions {
  store: Store;
  posthog: AppPostHog;
  production: boolean;
  /** The browser page (createFrontend): its routes and static roots go to the adapter as they are. */
  frontend: Frontend;
  log?: Log;
}

/**
 * What a framework adapter needs, and nothing framework-specific: the routes,
 * how to resolve a request's identity, and how to answer errors. Adding a
 * framework means writing one adapter against this object.
 */
export function createApi({ store, posthog, production, frontend, log = console }: ApiOptions): Api {
  function authorize(route: Route): (request: RouteRequest) => Reply | Promise<Reply> {
    if (!route.auth) return route.handler;
    return (request) => {
      if (!request.user) throw new HttpError(401, 'Missing or invalid bearer token');
      return route.handler(request as AuthorizedRequest);
    };
  }

  const routes = createRoutes({ store, posthog, production }).map((route): ApiRoute => {
    const handler = authorize(route);
    return {
      method: route.method,
      path: route.path,
      // Only these routes read a body (body.ts); the others ignore any.
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
          : { error: 'Internal Server Error', stack: String((error as Error | undefined)?.stack ?? error) },
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
