import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './http-error.ts';
import type { Store, User } from './store.ts';

/** Everything PostHog needs to know about one request (see resolveRequestContext). */
export interface RequestContext {
  /** The caller, once identifyCaller() has found its token's user. */
  user: User | undefined;
  /** The browser's distinct id (X-POSTHOG-DISTINCT-ID), if it sent one. */
  anonymousId: string | undefined;
  /** The user's id when known, else the anonymous id. */
  distinctId: string | undefined;
  sessionId: string | undefined;
  properties: RequestProperties;
}

/** The request properties posthog-node's Express helper attaches to every event. */
export interface RequestProperties {
  $current_url: string;
  $request_method: string;
  $request_path: string;
  $user_agent?: string;
}

/** What resolveRequestContext reads of a request, whatever the framework. */
export interface RequestHead {
  headers: IncomingHttpHeaders;
  method: string;
  url: string;
}

/** The subset of a context posthog.withContext() understands. */
export type PostHogContext = Pick<RequestContext, 'distinctId' | 'sessionId' | 'properties'>;

// Tracing headers are set by the browser (posthog-js `tracing_headers`) and so
// are untrusted input: clean them exactly as posthog-node's own helpers do.
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f-\x9f]/g;
const MAX_HEADER_LENGTH = 1000;

export function sanitizeHeaderValue(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value.find((item) => sanitizeHeaderValue(item)) : value;
  if (typeof first !== 'string') return undefined;
  const clean = first.replace(CONTROL_CHARACTERS, '').trim();
  return clean ? clean.slice(0, MAX_HEADER_LENGTH) : undefined;
}

function bearerToken(authorization: unknown): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(typeof authorization === 'string' ? authorization : '');
  return match?.[1];
}

/**
 * The path of a request target, as posthog-node's Express helper records it
 * ($request_path is Express's req.path): without query or fragment, and not
 * normalised, so /api/%2e%2e/x stays what the router saw. An absolute-form
 * target (`POST http://host/api/todos HTTP/1.1`, as sent to a proxy) is parsed
 * as the URL it is; `*` (OPTIONS *) and anything unparsable are kept as they are.
 */
export function requestPath(url: string): string {
  if (!url.startsWith('/')) {
    try {
      return new URL(url).pathname;
    } catch {
      return url;
    }
  }
  return url.split(/[?#]/, 1)[0];
}

export const MALFORMED_PATH_MESSAGE = 'The URL path has malformed percent-encoding';

/**
 * Every framework decodes the path to route it, and each used to fail on %zz in
 * its own way (400, 404, or the raw text as a todo id). Checked once, up front,
 * the answer is the same 400 everywhere.
 */
export function assertDecodablePath(url: string): void {
  try {
    decodeURIComponent(requestPath(url));
  } catch {
    throw new HttpError(400, MALFORMED_PATH_MESSAGE);
  }
}

// The bearer token of each context, kept off the object itself so that it can
// never end up in a log line or an event along with the context.
const tokens = new WeakMap<RequestContext, string | undefined>();

/**
 * Everything PostHog needs to know about one request, worked out once:
 * who is calling (a valid token wins over the client-controlled header),
 * which browser session it belongs to, and the request properties that
 * posthog-node's Express helper attaches. Only the headers are read here;
 * identifyCaller() then looks the token up in the database.
 */
export function resolveRequestContext({ headers, method, url }: RequestHead): RequestContext {
  const anonymousId = sanitizeHeaderValue(headers['x-posthog-distinct-id']);
  const sessionId = sanitizeHeaderValue(headers['x-posthog-session-id']);
  const properties: RequestProperties = {
    // The helper sends the target as received (req.originalUrl), query and all.
    $current_url: url,
    $request_method: method,
    $request_path: requestPath(url),
  };
  const userAgent = sanitizeHeaderValue(headers['user-agent']);
  if (userAgent) properties.$user_agent = userAgent;

  const context: RequestContext = {
    user: undefined,
    anonymousId,
    distinctId: anonymousId,
    sessionId,
    properties,
  };
  tokens.set(context, bearerToken(headers.authorization));
  return context;
}

/**
 * The database half of resolving a request: the user its token belongs to,
 * if any, becomes the context's distinct id. Async, and so run where a failing
 * database is answered like any other error of the request (a 503).
 */
export async function identifyCaller(context: RequestContext, store: Store): Promise<RequestContext> {
  const token = tokens.get(context);
  if (!token) return context;
  tokens.delete(context);
  context.user = await store.findUserByToken(token);
  if (context.user) context.distinctId = context.user.id;
  return context;
}

/** The subset posthog.withContext() understands. */
export function posthogContextOf({ distinctId, sessionId, properties }: PostHogContext): PostHogContext {
  return { distinctId, sessionId, properties };
}
