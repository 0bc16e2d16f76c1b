import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Log } from './posthog.ts';

/**
 * The same-origin relay to PostHog (POSTHOG_PROXY_PATH) that the page's
 * posthog-js sends everything through, so that blockers which drop requests
 * to PostHog's domains do not drop the page's events. The rules live here,
 * without a framework: where each path goes, which headers pass, and what the
 * browser gets when PostHog does not answer. Each framework mounts it its own
 * way (src/http/).
 */
export interface Relay {
  /** POSTHOG_PROXY_PATH: the path the relay answers under, and posthog-js's api_host. */
  path: string;
  /** POSTHOG_HOST: capture, flags and everything else. */
  apiHost: string;
  /** Where /static/* and /array/* go: the region's assets host, or POSTHOG_HOST itself. */
  assetsHost: string;
  /** PostHog's app for that host: posthog-js's ui_host (links to the toolbar and the app). */
  uiHost: string;
}

// PostHog's clouds serve posthog-js's scripts and remote config from an assets
// host of their own, and their app from a third. A self-hosted PostHog (or a
// proxy of your own) serves all three itself.
const CLOUDS: Record<string, { assets: string; ui: string }> = {
  'https://us.i.posthog.com': { assets: 'https://us-assets.i.posthog.com', ui: 'https://us.posthog.com' },
  'https://eu.i.posthog.com': { assets: 'https://eu-assets.i.posthog.com', ui: 'https://eu.posthog.com' },
};
const ASSET_PATH = /^\/(static|array)(\/|$)/;

/** The relay for POSTHOG_HOST `host` (no trailing '/'), under `path`. */
export function relayFor(host: string, path: string): Relay {
  const cloud = CLOUDS[host];
  return { path, apiHost: host, assetsHost: cloud?.assets ?? host, uiHost: cloud?.ui ?? host };
}

/** Where one relayed request goes: PostHog's origin and the path (with the query) to ask it for. */
export interface Upstream {
  origin: string;
  /** Host header: PostHog's host, as its ingestion expects. */
  host: string;
  path: string;
}

/**
 * Where a request goes. `rest` is its URL below the relay path exactly as the
 * client sent it ('/e/?ip=0&_=1700000000000'): it is passed on unchanged,
 * query string and all, after the host's own path. Null for a path that could
 * climb out of that (a '.' or '..' segment, a backslash).
 */
export function upstreamFor(relay: Relay, rest: string): Upstream | null {
  const at = rest.indexOf('?');
  const path = at === -1 ? rest : rest.slice(0, at);
  if (!path.startsWith('/') || path.includes('\\')) return null;
  try {
    if (path.split('/').some((segment) => /^\.\.?$/.test(decodeURIComponent(segment)))) return null;
  } catch {
    return null;
  }
  const base = new URL(ASSET_PATH.test(path) ? relay.assetsHost : relay.apiHost);
  return { origin: base.origin, host: base.host, path: `${base.pathname.replace(/\/$/, '')}${rest}` };
}

// Hop-by-hop headers belong to one connection, not to the request (RFC 9110,
// 7.6.1), and with them the ones the client's Connection header names.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
// Never to PostHog: the page's cookies and credentials are this app's, not
// PostHog's. Host is PostHog's own (its ingestion refuses another), and
// Expect: 100-continue is answered here, not passed on.
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'cookie', 'authorization', 'host', 'expect']);

function connectionListed(headers: IncomingHttpHeaders): string[] {
  const value = headers.connection;
  return typeof value === 'string' ? value.split(',').map((name) => name.trim().toLowerCase()) : [];
}

/**
 * The headers PostHog gets: the client's, without cookies, credentials and
 * hop-by-hop headers, with Host set to PostHog's and the client's address
 * appended to X-Forwarded-For (PostHog reads the address from it).
 */
export function relayRequestHeaders(
  headers: IncomingHttpHeaders,
  clientAddress: string | undefined,
  upstreamHost: string,
): Record<string, string | string[]> {
  const dropped = new Set([...NOT_FORWARDED, ...connectionListed(headers)]);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !dropped.has(name)) out[name] = value;
  }
  out.host = upstreamHost;
  // An IPv4 client on a dual-stack socket shows as ::ffff:1.2.3.4.
  const address = clientAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (address) {
    const forwarded = headers['x-forwarded-for'];
    const before = Array.isArray(forwarded) ? forwarded.join(', ') : forwarded;
    out['x-forwarded-for'] = before ? `${before}, ${address}` : address;
  }
  return out;
}

/** PostHog's answer headers for the browser: all but hop-by-hop ones and cookies for PostHog's domain. */
export function relayResponseHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const dropped = new Set([...HOP_BY_HOP, 'set-cookie', ...connectionListed(headers)]);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !dropped.has(name)) out[name] = value;
  }
  return out;
}

/**
 * How long PostHog has: to accept the connection, and then, once it has the
 * whole request, to start answering (or, while a body goes either way, to
 * take or send the next part of it). Past either, the browser gets a 504, so
 * every relayed request is answered within 10 s however PostHog fails.
 */
export const RELAY_TIMEOUTS = { connectMs: 3_000, answerMs: 6_000 } as const;

/** PostHog did not answer: what the browser gets, JSON like every error of this app. */
export interface RelayFailure {
  status: 502 | 504;
  body: { error: string };
}

// The codes (Node's, and undici's for Fastify's relay) of a PostHog that stays silent.
const TIMEOUTS = new Set([
  'ETIMEDOUT',
  'RELAY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

// The innermost code along the cause chain: a proxy library's error (Fastify's
// "Gateway Timeout") wraps the network's (UND_ERR_HEADERS_TIMEOUT, ECONNREFUSED).
function errorCode(error: unknown): string | undefined {
  let code: string | undefined;
  for (let cause = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; cause && depth < 5; depth++) {
    if (typeof cause.code === 'string') code = cause.code;
    cause = cause.cause as typeof cause;
  }
  return code;
}

/**
 * Says what went wrong with the relay, once per kind of problem for as long
 * as it lasts (no stack trace, no $exception: PostHog being down is no bug of
 * this server), and that PostHog answers again once it does.
 */
export function relayReporter(log: Log) {
  const reported = new Set<string>();
  return {
    /** The browser's answer when `origin` failed with `error` (silent: 504, anything else: 502). */
    failed(error: unknown, origin: string): RelayFailure {
      const code = errorCode(error) ?? 'network error';
      const timedOut = TIMEOUTS.has(code);
      const kind = `${origin} ${timedOut ? 'timeout' : code}`;
      if (!reported.has(kind)) {
        reported.add(kind);
        log.error(
          timedOut
            ? `PostHog relay: ${origin} did not answer in time; the page's analytics get 504 until it does.`
            : `PostHog relay: cannot reach ${origin} (${code}); the page's analytics get 502 until it can.`,
        );
      }
      return timedOut
        ? { status: 504, body: { error: 'PostHog did not answer in time' } }
        : { status: 502, body: { error: 'PostHog cannot be reached' } };
    },
    /** PostHog answered. */
    answered() {
      if (reported.size === 0) return;
      reported.clear();
      log.info('PostHog relay: PostHog answers again.');
    },
  };
}

export type RelayReporter = ReturnType<typeof relayReporter>;

const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

/** The client hung up before PostHog answered: nobody is left to tell. */
export class ClientGone extends Error {}

/**
 * Sends a request on to PostHog with node:http(s), its body streamed as it
 * arrives, never buffered or decoded (a gzip body stays byte for byte the
 * same, a session recording of tens of MB passes), and resolves with
 * PostHog's answer, its body not yet read. Rejects when PostHog cannot be
 * reached or is too slow (RELAY_TIMEOUTS; see relayReporter), or with
 * ClientGone.
 */
export function forward(req: IncomingMessage, { origin, host, path }: Upstream): Promise<IncomingMessage> {
  const { protocol, hostname, port } = new URL(origin);
  const send = protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const upstream = send({
      protocol,
      hostname: hostname.replace(/^\[|\]$/g, ''),
      port,
      path,
      method: req.method,
      headers: relayRequestHeaders(req.headers, req.socket.remoteAddress, host),
      agent: agents[protocol as keyof typeof agents],
      // Idle time on the connection: a body that stops going either way.
      timeout: RELAY_TIMEOUTS.answerMs,
    });
    const tooSlow = () =>
      upstream.destroy(Object.assign(new Error('PostHog did not answer in time'), { code: 'RELAY_TIMEOUT' }));
    let answered = false;
    let deadline = setTimeout(tooSlow, RELAY_TIMEOUTS.connectMs);
    upstream.once('socket', (socket) => {
      // A kept-alive connection is connected already.
      if (!socket.connecting) clearTimeout(deadline);
      else socket.once('connect', () => clearTimeout(deadline));
    });
    // All of the request sent: PostHog has answerMs to start answering.
    upstream.once('finish', () => {
      clearTimeout(deadline);
      if (!answered) deadline = setTimeout(tooSlow, RELAY_TIMEOUTS.answerMs);
    });
    upstream.on('timeout', tooSlow);
    upstream.once('close', () => clearTimeout(deadline));
    upstream.once('response', (answer) => {
      answered = true;
      clearTimeout(deadline);
      resolve(answer);
    });
    // Before the answer: the request failed. After it: the answer's stream ends with the error too.
    upstream.on('error', reject);
    // The body goes out as it comes in. Not pipeline(): a PostHog that fails
    // must not take the client's connection with it, which still gets its 502.
    req.pipe(upstream);
    req.once('close', () => {
      if (!req.complete) upstream.destroy(new ClientGone('The client hung up'));
    });
  });
}
