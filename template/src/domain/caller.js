import { HttpError } from './http-error.js';

// Tracing headers are set by the browser (posthog-js `tracing_headers`) and so
// are untrusted input: clean them exactly as posthog-node's own helpers do.
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f-\x9f]/g;
const MAX_HEADER_LENGTH = 1000;

export function sanitizeHeaderValue(value) {
  const first = Array.isArray(value) ? value.find((item) => sanitizeHeaderValue(item)) : value;
  if (typeof first !== 'string') return undefined;
  const clean = first.replace(CONTROL_CHARACTERS, '').trim();
  return clean ? clean.slice(0, MAX_HEADER_LENGTH) : undefined;
}

function bearerToken(authorization) {
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
export function requestPath(url) {
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
export function assertDecodablePath(url) {
  try {
    decodeURIComponent(requestPath(url));
  } catch {
    throw new HttpError(400, MALFORMED_PATH_MESSAGE);
  }
}

// The bearer token of each context, kept off the object itself so that it can
// never end up in a log line or an event along with the context.
const tokens = new WeakMap();

/**
 * Everything PostHog needs to know about one request, worked out once:
 * who is calling (a valid token wins over the client-controlled header),
 * which browser session it belongs to, and the request properties that
 * posthog-node's Express helper attaches. Only the headers are read here;
 * identifyCaller() then looks the token up in the database.
 */
export function resolveRequestContext({ headers, method, url }) {
  const anonymousId = sanitizeHeaderValue(headers['x-posthog-distinct-id']);
  const sessionId = sanitizeHeaderValue(headers['x-posthog-session-id']);
  const properties = {
    // The helper sends the target as received (req.originalUrl), query and all.
    $current_url: url,
    $request_method: method,
    $request_path: requestPath(url),
  };
  const userAgent = sanitizeHeaderValue(headers['user-agent']);
  if (userAgent) properties.$user_agent = userAgent;

  const context = {
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
export async function identifyCaller(context, store) {
  const token = tokens.get(context);
  if (!token) return context;
  tokens.delete(context);
  context.user = await store.findUserByToken(token);
  if (context.user) context.distinctId = context.user.id;
  return context;
}

/** The subset posthog.withContext() understands. */
export function posthogContextOf({ distinctId, sessionId, properties }) {
  return { distinctId, sessionId, properties };
}
