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

function withoutQuery(url) {
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}

/**
 * Everything PostHog needs to know about one request, worked out once:
 * who is calling (a valid token wins over the client-controlled header),
 * which browser session it belongs to, and the request properties that
 * posthog-node's Express helper attaches.
 */
export function resolveRequestContext({ headers, method, url }, store) {
  const user = store.findUserByToken(bearerToken(headers.authorization));
  const anonymousId = sanitizeHeaderValue(headers['x-posthog-distinct-id']);
  const sessionId = sanitizeHeaderValue(headers['x-posthog-session-id']);
  const properties = {
    $current_url: url,
    $request_method: method,
    $request_path: withoutQuery(url),
  };
  const userAgent = sanitizeHeaderValue(headers['user-agent']);
  if (userAgent) properties.$user_agent = userAgent;

  return {
    user,
    anonymousId,
    distinctId: user?.id ?? anonymousId,
    sessionId,
    properties,
  };
}

/** The subset posthog.withContext() understands. */
export function posthogContextOf({ distinctId, sessionId, properties }) {
  return { distinctId, sessionId, properties };
}
