// Tracing headers are set by the browser (posthog-js `tracing_headers`) and so
// are untrusted input: clean them exactly as posthog-node's own helpers do.
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f-\x9f]/g;
const MAX_HEADER_LENGTH = 1000;

function sanitizeHeaderValue(value) {
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
 * The path of a request target as Express's req.path has it: no query or
 * fragment, not normalised. An absolute-form target (as sent to a proxy) is
 * parsed as the URL it is; `*` and anything unparsable are kept as they are.
 */
function requestPath(url) {
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
export function anonymousCaller({ headers, method, url }) {
  const anonymousId = sanitizeHeaderValue(headers['x-posthog-distinct-id']);
  const properties = {
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
export async function resolveCaller(store, request) {
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
export function posthogContext({ distinctId, sessionId, properties }) {
  return { distinctId, sessionId, properties };
}

/** The properties a $exception carries besides the error: the request's, and its session. */
export function exceptionProperties(caller, status) {
  return {
    ...caller.properties,
    ...(caller.sessionId ? { $session_id: caller.sessionId } : {}),
    $response_status_code: status,
  };
}
