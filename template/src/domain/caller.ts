import type { IncomingHttpHeaders } from 'node:http';
import type { Store, User } from '../data/store.ts';

/**
 * Who is calling and from which browser session, resolved once per request by
 * the framework's first hook: everything PostHog needs to put the request's
 * events under the right person.
 */
export interface Caller {
  /** The user whose bearer token the request carried, if it was valid. */
  user: User | undefined;
  /** That valid bearer token: the session logout ends. Never sent to PostHog. */
  token: string | undefined;
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

/** What a caller is resolved from, whatever the framework. */
export interface RequestHead {
  headers: IncomingHttpHeaders;
  method: string;
  url: string;
}

/** What posthog.withContext() takes. */
export type PostHogContext = Pick<Caller, 'distinctId' | 'sessionId' | 'properties'>;

// Tracing headers are set by the browser (posthog-js `tracing_headers`) and so
// are untrusted input: clean them exactly as posthog-node's own helpers do.
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f-\x9f]/g;
const MAX_HEADER_LENGTH = 1000;

function sanitizeHeaderValue(value: unknown): string | undefined {
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
 * The path of a request target as Express's req.path has it: no query or
 * fragment, not normalised. An absolute-form target (as sent to a proxy) is
 * parsed as the URL it is; `*` and anything unparsable are kept as they are.
 */
function requestPath(url: string): string {
  if (!url.startsWith('/')) {
    try {
      return new URL(url).pathname;
    } catch {
      return url;
    }
  }
  return url.split(/[?#]/, 1)[0];
}

/** The caller as far as the headers tell, before any token is looked up. */
export function anonymousCaller({ headers, method, url }: RequestHead): Caller {
  const anonymousId = sanitizeHeaderValue(headers['x-posthog-distinct-id']);
  const properties: RequestProperties = {
    // The helper sends the target as received (req.originalUrl), query and all.
    $current_url: url,
    $request_method: method,
    $request_path: requestPath(url),
  };
  const userAgent = sanitizeHeaderValue(headers['user-agent']);
  if (userAgent) properties.$user_agent = userAgent;
  return {
    user: undefined,
    token: undefined,
    anonymousId,
    distinctId: anonymousId,
    sessionId: sanitizeHeaderValue(headers['x-posthog-session-id']),
    properties,
  };
}

/**
 * Who is calling: a valid bearer token's user wins over the client-controlled
 * distinct id header. Only a request that carries a token touches the
 * database; when that fails, the error is the request's (a 503).
 */
export async function resolveCaller(store: Store, request: RequestHead): Promise<Caller> {
  const caller = anonymousCaller(request);
  const token = bearerToken(request.headers.authorization);
  if (!token) return caller;
  caller.user = await store.findUserByToken(token);
  if (caller.user) {
    caller.token = token;
    caller.distinctId = caller.user.id;
  }
  return caller;
}

/** The part of a caller posthog.withContext() understands. */
export function posthogContext({ distinctId, sessionId, properties }: PostHogContext): PostHogContext {
  return { distinctId, sessionId, properties };
}

/** The properties a $exception carries besides the error: the request's, and its session. */
export function exceptionProperties(caller: PostHogContext, status: number): Record<string, unknown> {
  return {
    ...caller.properties,
    ...(caller.sessionId ? { $session_id: caller.sessionId } : {}),
    $response_status_code: status,
  };
}
