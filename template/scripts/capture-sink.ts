#!/usr/bin/env node
// A local stand-in for PostHog's ingestion API. It speaks the wire format the
// SDKs use, keeps everything it receives in memory and, run from the command
// line (`npm run posthog:inspect`), prints each event as it arrives. The test
// suite imports startCaptureSink() to check what the server really sends.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

/**
 * A flag's setting in the sink: on, off, a variant for everyone, or a
 * rollout like '50%' (that share of users, picked by PostHog's hash).
 */
export type FlagSetting = boolean | string;
export type FlagMap = Record<string, FlagSetting>;
/** Flags per user for remote evaluation; `body` is the /flags request body. */
export type FlagsFn = (distinctId: string, body: unknown) => FlagMap | null | undefined;

/**
 * An event as the sink keeps it: what the SDK sent, with distinct_id and
 * api_key filled in from wherever the payload carried them. The fields are
 * the sender's JSON: only `event` and `properties` are always there.
 */
export interface CapturedEvent {
  event: string;
  properties: Record<string, unknown>;
  distinct_id?: unknown;
  api_key?: string;
  /**
   * The sender's address as PostHog records it: the first X-Forwarded-For
   * entry (a relay's client), else the connection's.
   */
  ip?: string;
  /** Whether the request came through a proxy (it had X-Forwarded-For). */
  forwarded?: boolean;
  uuid?: string;
  timestamp?: string;
  [field: string]: unknown;
}

/** One HTTP request the sink received; `status` is set once it is answered. */
export interface ReceivedRequest {
  method?: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body?: unknown;
  error?: string;
  status?: number;
}

export type Endpoint = 'capture' | 'flags' | 'definitions';
export type Mode = 'ok' | 'stall' | keyof typeof OUTAGES;

export interface CaptureSinkOptions {
  port?: number;
  host?: string;
  flags?: FlagMap | FlagsFn;
  secretKey?: string;
}

export interface WaitOptions {
  count?: number;
  timeout?: number;
}

export type CaptureSink = Awaited<ReturnType<typeof startCaptureSink>>;

type Json = Record<string, unknown>;
type Reply = (status: number, payload: unknown) => void;

const MAX_BODY_BYTES = 20 * 1024 * 1024;

// posthog-node posts to /batch/; posthog-js (and older SDKs) to the others,
// session recordings to /s/.
const CAPTURE_PATHS = new Set(['/batch', '/e', '/i/v0/e', '/capture', '/track', '/s']);
const CAPTURE_V1_PATH = '/i/v1/analytics/events'; // posthog-node with POSTHOG_CAPTURE_MODE=v1
const FLAGS_PATHS = new Set(['/flags', '/decide']);
// posthog-node with a secret key polls this for local evaluation.
const DEFINITIONS_PATH = '/flags/definitions';
// posthog-js in the browser also asks for its remote config (JSON, or a script
// that stores it in window._POSTHOG_REMOTE_CONFIG) and may load extension
// scripts (/static/<name>.js, /static/<version>/<name>.js) from the same host.
const REMOTE_CONFIG_PATH = /^\/array\/([^/]+)\/config(\.js)?$/;
const STATIC_SCRIPT_PATH = /^\/static\/(?:[\w.-]+\/)?([\w-]+(?:\.[\w-]+)*\.js)$/;
const EMPTY_LISTS = { '/api/surveys': { surveys: [] }, '/api/web_experiments': { experiments: [] } };

// How the sink answers while PostHog is "down", for outage drills.
const OUTAGES = {
  error500: { status: 500, body: { type: 'server_error', detail: 'Simulated outage' } },
  unauthorized: {
    status: 401,
    body: { type: 'authentication_error', code: 'invalid_api_key', detail: 'Project API key invalid.' },
  },
};
const MODES = new Set<string>(['ok', 'stall', ...Object.keys(OUTAGES)]);
const ENDPOINTS = new Set<Endpoint>(['capture', 'flags', 'definitions']);

// What PostHog answers a definitions request whose secret key it does not accept.
const BAD_SECRET_KEY = {
  type: 'authentication_error',
  code: 'authentication_failed',
  detail: 'Incorrect authentication credentials.',
  attr: null,
};

/**
 * Starts the sink; resolves once it listens.
 * Options: `port` (0 = any free port), `host`, `flags`: a map of flag keys to
 * true, false, a variant string or a rollout like '50%' (that share of users,
 * picked by PostHog's hash), or a function (distinctId) => such a map (then
 * remote evaluation only: the definitions for local evaluation list no flags).
 * `secretKey`: the only key the definitions endpoint accepts (default: any).
 */
export async function startCaptureSink({
  port = 0,
  host = '127.0.0.1',
  flags = {},
  secretKey,
}: CaptureSinkOptions = {}) {
  const events: CapturedEvent[] = [];
  const requests: ReceivedRequest[] = [];
  const listeners = new Set<(event: CapturedEvent) => void>();
  const requestListeners = new Set<(request: ReceivedRequest) => void>();
  const held: (() => void)[] = [];
  let flagsFor = toFlagsFn(flags);
  let flagMap = typeof flags === 'function' ? {} : flags;
  const modes: Record<Endpoint, Mode> = { capture: 'ok', flags: 'ok', definitions: 'ok' };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Whatever went wrong, the sink answers and keeps running.
      if (!res.headersSent) send(res, 500, { error: String((error as Error | undefined)?.message ?? error) });
      else res.destroy();
    });
  });
  // Garbage on the socket (not HTTP at all) must not take the sink down.
  server.on('clientError', (_error, socket) => socket.destroy());

  async function handle(req: IncomingMessage, res: ServerResponse) {
    // Marks every answer as the stand-in's: npm run posthog:check reads it.
    res.setHeader('x-posthog-stand-in', 'capture-sink');
    // posthog-js calls from the page's origin, not the sink's: allow it, as PostHog
    // does, and answer the preflight of its JSON requests (kept out of the log).
    if (req.headers.origin) {
      res.setHeader('access-control-allow-origin', req.headers.origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('access-control-allow-methods', 'GET, POST');
      res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '');
      res.setHeader('access-control-max-age', '600');
      res.writeHead(204).end();
      req.resume();
      return;
    }
    const url = new URL(req.url!, 'http://sink.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const entry: ReceivedRequest = {
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
    };
    const raw = await readBody(req);
    if (raw === null) {
      entry.error = `Body over ${MAX_BODY_BYTES} bytes`;
    } else {
      try {
        entry.body = decodeBody(raw, req.headers, url.searchParams);
      } catch (error) {
        entry.error = (error as Error).message;
      }
    }
    requests.push(entry);
    for (const listener of requestListeners) listener(entry);

    const reply: Reply = (status, payload) => {
      entry.status = status;
      send(res, status, payload);
    };
    if (req.method === 'GET' || req.method === 'HEAD') {
      const asset = await browserAsset(path, url.searchParams, flagsFor);
      if (asset) {
        entry.status = asset.status;
        res.writeHead(asset.status, { 'content-type': asset.type, 'content-length': Buffer.byteLength(asset.body) });
        return res.end(req.method === 'HEAD' ? undefined : asset.body);
      }
    }
    const isCapture = CAPTURE_PATHS.has(path) || path === CAPTURE_V1_PATH;
    const isFlags = FLAGS_PATHS.has(path);
    if (path === DEFINITIONS_PATH) {
      if (req.method !== 'GET') return reply(405, { error: 'Method Not Allowed' });
      if (await outage('definitions', reply)) return;
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || (secretKey !== undefined && bearer !== secretKey)) return reply(401, BAD_SECRET_KEY);
      if (!url.searchParams.get('token')) {
        return reply(400, {
          type: 'validation_error',
          code: 'invalid_input',
          detail: 'token is required',
          attr: 'token',
        });
      }
      return reply(200, definitionsResponse(flagMap));
    }
    if (!isCapture && !isFlags) return reply(404, { error: 'Not Found' });
    if (req.method !== 'POST' && !(isCapture && req.method === 'GET')) {
      return reply(405, { error: 'Method Not Allowed' });
    }
    // posthog-node answers a 413 by splitting the batch, so say exactly that.
    if (raw === null) return reply(413, { type: 'validation_error', detail: entry.error });
    if (entry.error) return reply(400, { type: 'validation_error', detail: entry.error });
    const { body } = entry;

    if (await outage(isFlags ? 'flags' : 'capture', reply)) return;

    if (isFlags) {
      const distinctId = String((body as Json | undefined)?.distinct_id ?? '');
      return reply(200, flagsResponse(flagsFor(distinctId, body) ?? {}, distinctId));
    }

    const received = path === CAPTURE_V1_PATH ? fromCaptureV1(body, req.headers) : fromCaptureV0(body);
    if (received.length === 0) return reply(400, { type: 'validation_error', detail: 'No events in payload' });
    const forwardedFor = [req.headers['x-forwarded-for']].flat().join(',').split(',')[0].trim();
    const ip = forwardedFor || req.socket.remoteAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
    for (const event of received) {
      event.ip = ip;
      event.forwarded = Boolean(forwardedFor);
      events.push(event);
      for (const listener of listeners) listener(event);
    }
    return reply(200, path === CAPTURE_V1_PATH ? { results: {} } : { status: 'Ok' });
  }

  // A stalled request waits until the mode changes (or its client gives up),
  // then is answered as the new mode says. True when the outage answered.
  async function outage(endpoint: Endpoint, reply: Reply): Promise<boolean> {
    if (modes[endpoint] === 'stall') await new Promise<void>((resolve) => held.push(resolve));
    const mode = modes[endpoint];
    if (mode === 'ok') return false;
    // Not 'stall' any more: a held request is released only by a switch to another mode.
    const { status, body } = OUTAGES[mode as keyof typeof OUTAGES];
    reply(status, body);
    return true;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  // Bound to every interface, the sink is still reached locally as localhost.
  const anyAddress = address.address === '0.0.0.0' || address.address === '::';
  const urlHost = anyAddress ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    events,
    requests,

    /** Replace the flag map, or pass (distinctId, requestBody) => flag map. */
    setFlags(flagsOrFn: FlagMap | FlagsFn) {
      flagsFor = toFlagsFn(flagsOrFn);
      flagMap = typeof flagsOrFn === 'function' ? {} : flagsOrFn;
    },

    /**
     * 'ok', 'error500', 'unauthorized' (401, as for a bad token) or 'stall'
     * (hold requests unanswered; switching to another mode answers them).
     * `endpoint`: only 'capture', 'flags' (remote evaluation) or 'definitions'
     * (local evaluation's polling); default all three.
     */
    setMode(next: Mode, { endpoint }: { endpoint?: Endpoint } = {}) {
      if (!MODES.has(next)) throw new TypeError(`Unknown mode ${next}; use one of ${[...MODES].join(', ')}`);
      if (endpoint !== undefined && !ENDPOINTS.has(endpoint)) {
        throw new TypeError(`Unknown endpoint ${endpoint}; use one of ${[...ENDPOINTS].join(', ')}`);
      }
      for (const name of endpoint ? [endpoint] : ENDPOINTS) modes[name] = next;
      if (next !== 'stall') for (const release of held.splice(0)) release();
    },

    /** Forget everything received so far. */
    reset() {
      events.length = 0;
      requests.length = 0;
    },

    /**
     * Resolves with the matching events as soon as `count` of them have
     * arrived (already received ones included), rejects after `timeout` ms
     * (default 10 s).
     * `predicate` is a function of the event, or an event name.
     */
    waitFor(predicate: string | ((event: CapturedEvent) => boolean), options?: WaitOptions) {
      const matches = typeof predicate === 'function' ? predicate : (event: CapturedEvent) => event.event === predicate;
      return waitUntil(events, listeners, matches, 'event', options);
    },

    /**
     * Like waitFor, over the request log. `predicate` gets {method, path, query,
     * headers, body}; `status` is filled in once the request is answered.
     */
    waitForRequest(predicate: (request: ReceivedRequest) => boolean, options?: WaitOptions) {
      return waitUntil(requests, requestListeners, predicate, 'request', options);
    },

    /** Calls listener(event) for every event received from now on; returns an unsubscribe function. */
    onEvent(listener: (event: CapturedEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Stops listening and drops open connections, stalled ones included. */
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// The default timeout outlasts posthog-node's 5 s flush interval.
function waitUntil<T extends CapturedEvent | ReceivedRequest>(
  list: T[],
  listeners: Set<(item: T) => void>,
  matches: (item: T) => boolean,
  noun: string,
  { count = 1, timeout = 10_000 }: WaitOptions = {},
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      let found: T[];
      try {
        found = list.filter(matches);
      } catch (error) {
        // A broken predicate fails the wait, not the request being received.
        done();
        return reject(error);
      }
      if (found.length < count) return;
      done();
      resolve(found);
    };
    const timer = setTimeout(() => {
      done();
      const seen =
        list.map((item) => ('event' in item ? item.event : `${item.method} ${item.path}`)).join(', ') || 'nothing';
      reject(new Error(`Timed out after ${timeout} ms waiting for ${count} matching ${noun}(s); received: ${seen}`));
    }, timeout);
    const done = () => {
      clearTimeout(timer);
      listeners.delete(check);
    };
    listeners.add(check);
    check();
  });
}

function toFlagsFn(flagsOrFn: FlagMap | FlagsFn): FlagsFn {
  return typeof flagsOrFn === 'function' ? flagsOrFn : () => flagsOrFn;
}

function send(res: ServerResponse, status: number, payload: unknown) {
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The body, or null when it is too large (read to the end anyway, so the reply can be sent). */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : null;
}

// Bodies arrive gzipped (header or posthog-js's ?compression=gzip-js),
// base64 in a form field (?compression=base64) or as plain JSON.
function decodeBody(raw: Buffer, headers: IncomingHttpHeaders, query: URLSearchParams): unknown {
  let bytes = raw;
  const gzipped = /gzip/i.test(headers['content-encoding'] ?? '') || /gzip/i.test(query.get('compression') ?? '');
  if (gzipped || (bytes[0] === 0x1f && bytes[1] === 0x8b)) bytes = gunzipSync(bytes);

  let text = bytes.toString('utf8');
  if (/x-www-form-urlencoded/i.test(headers['content-type'] ?? '')) {
    text = new URLSearchParams(text).get('data') ?? '';
  }
  if (!text.trim() && query.has('data')) text = query.get('data')!;
  if (!text.trim()) return undefined;
  if (!/^\s*[[{]/.test(text)) text = Buffer.from(text, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('Body is not valid JSON');
  }
}

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

// {api_key, batch: [...]} from posthog-node; a single event or an array from posthog-js.
function fromCaptureV0(body: unknown): CapturedEvent[] {
  const batch = (body as Json | undefined)?.batch;
  const list: unknown[] = Array.isArray(body) ? body : Array.isArray(batch) ? batch : [body];
  const batchKey = isObject(body) ? (body.api_key ?? body.token) : undefined;
  return list.filter(isObject).map(
    (event) =>
      ({
        ...event,
        distinct_id: event.distinct_id ?? (event.properties as Json | undefined)?.distinct_id,
        api_key: event.api_key ?? batchKey ?? (event.properties as Json | undefined)?.token,
      }) as CapturedEvent,
  );
}

// Capture v1 moves a few properties out of `properties`; put them back so
// every event looks the same to whoever reads `events`.
function fromCaptureV1(body: unknown, headers: IncomingHttpHeaders): CapturedEvent[] {
  const apiKey = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
  const batch = (body as Json | undefined)?.batch;
  const list: unknown[] = Array.isArray(batch) ? batch : [];
  return list.filter(isObject).map(({ session_id, window_id, options, properties, ...event }) => {
    const restored: Json = { ...(properties as Json | undefined) };
    if (session_id !== undefined) restored.$session_id = session_id;
    if (window_id !== undefined) restored.$window_id = window_id;
    const personProfile = (options as Json | undefined)?.process_person_profile;
    if (personProfile !== undefined) restored.$process_person_profile = personProfile;
    return { ...event, properties: restored, api_key: apiKey } as CapturedEvent;
  });
}

const ROLLOUT = /^(\d{1,2}(?:\.\d+)?|100)%$/;

/** The rollout percentage of a flag setting like '50%', or undefined. */
function rolloutOf(value: unknown): number | undefined {
  const match = typeof value === 'string' ? ROLLOUT.exec(value) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * Where a user falls in a flag's rollout, from 0 to 1, the way PostHog
 * computes it (posthog-node's local evaluation does the same), so remote and
 * local evaluation agree on who is in a percentage rollout.
 */
export function rolloutHash(flagKey: string, distinctId: string): number {
  const hex = createHash('sha1').update(`${flagKey}.${distinctId}`).digest('hex');
  return Number.parseInt(hex.slice(0, 15), 16) / 0xfffffffffffffff;
}

/** A flag setting (true, false, variant or 'N%') for one user: false, true or the variant. */
function evaluate(key: string, value: FlagSetting, distinctId: string): boolean | string {
  const rollout = rolloutOf(value);
  if (rollout !== undefined) return rolloutHash(key, distinctId) <= rollout / 100;
  return typeof value === 'string' ? value : Boolean(value);
}

// GET /flags/definitions: the shape posthog-node's poller reads
// (flags, group_type_mapping, cohorts), one release condition per flag.
function definitionsResponse(flagMap: FlagMap) {
  const flags = Object.entries(flagMap).map(([key, value], index) => {
    const rollout = rolloutOf(value);
    const variant = typeof value === 'string' && rollout === undefined ? value : undefined;
    return {
      id: index + 1,
      team_id: 1,
      name: key,
      key,
      active: value !== false,
      deleted: false,
      ensure_experience_continuity: false,
      filters: {
        groups: [{ properties: [], rollout_percentage: rollout ?? 100, variant: null }],
        multivariate: variant ? { variants: [{ key: variant, name: variant, rollout_percentage: 100 }] } : null,
        payloads: {},
      },
    };
  });
  return { flags, group_type_mapping: {}, cohorts: {} };
}

/**
 * What posthog-js loads besides capture and flags, as PostHog's servers
 * answer it; null for anything else. Remote config turns off what the sink
 * cannot stand in for (session recording, surveys, heatmaps), so the browser
 * console stays clean and the page's own events come through.
 */
async function browserAsset(
  path: string,
  query: URLSearchParams,
  flagsFor: FlagsFn,
): Promise<{ status: number; type: string; body: string } | null> {
  const config = REMOTE_CONFIG_PATH.exec(path);
  if (config) {
    const token = decodeURIComponent(config[1]);
    const body = remoteConfig(token, Object.keys(flagsFor('', {}) ?? {}).length > 0);
    if (!config[2]) return { status: 200, type: 'application/json', body: JSON.stringify(body) };
    const script =
      'window._POSTHOG_REMOTE_CONFIG = window._POSTHOG_REMOTE_CONFIG || {};\n' +
      `window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(token)}] = ${JSON.stringify({ config: body, siteApps: [] })};\n`;
    return { status: 200, type: 'text/javascript; charset=utf-8', body: script };
  }
  const list = EMPTY_LISTS[path as keyof typeof EMPTY_LISTS];
  if (list) return { status: 200, type: 'application/json', body: JSON.stringify(list) };
  const script = STATIC_SCRIPT_PATH.exec(path);
  if (script) {
    // The project's own posthog-js has every extension bundle, at the version the page runs.
    const text = await readPostHogJsFile(script[1]);
    if (text !== null) return { status: 200, type: 'text/javascript; charset=utf-8', body: text };
    return {
      status: 404,
      type: 'text/javascript; charset=utf-8',
      body: `/* ${script[1]}: not in this project's posthog-js */\n`,
    };
  }
  return null;
}

function remoteConfig(token: string, hasFeatureFlags: boolean) {
  return {
    token,
    supportedCompression: ['gzip', 'gzip-js'],
    hasFeatureFlags,
    captureDeadClicks: false,
    capturePerformance: false,
    autocapture_opt_out: false,
    autocaptureExceptions: false,
    analytics: { endpoint: '/i/v0/e/' },
    elementsChainAsString: true,
    sessionRecording: false,
    heatmaps: false,
    surveys: false,
    defaultIdentifiedOnly: true,
    siteApps: [],
  };
}

let postHogJsDist: string | null | undefined;
async function readPostHogJsFile(name: string): Promise<string | null> {
  if (postHogJsDist === undefined) {
    try {
      postHogJsDist = dirname(createRequire(import.meta.url).resolve('posthog-js/dist/module.full.js'));
    } catch {
      postHogJsDist = null; // a project without the browser page has no posthog-js
    }
  }
  if (!postHogJsDist) return null;
  return readFile(join(postHogJsDist, name), 'utf8').catch(() => null);
}

// The /flags?v=2 shape; featureFlags is kept for older clients reading v1.
function flagsResponse(flagMap: FlagMap, distinctId: string) {
  const flags: Record<string, { key: string; enabled: boolean; variant?: string; reason: object; metadata: object }> =
    {};
  for (const [key, setting] of Object.entries(flagMap)) {
    const value = evaluate(key, setting, distinctId);
    flags[key] = {
      key,
      enabled: typeof value === 'string' ? true : value,
      variant: typeof value === 'string' ? value : undefined,
      reason: value
        ? { code: 'condition_match', description: 'Set in the local capture sink' }
        : {
            code: rolloutOf(setting) === undefined ? 'no_condition_match' : 'out_of_rollout_bound',
            description: 'Set in the local capture sink',
          },
      metadata: { id: 1, version: 1 },
    };
  }
  return {
    flags,
    featureFlags: Object.fromEntries(Object.entries(flags).map(([key, flag]) => [key, flag.variant ?? flag.enabled])),
    featureFlagPayloads: {},
    errorsWhileComputingFlags: false,
    requestId: randomUUID(),
  };
}

// ---------------------------------------------------------------------------
// Command line: npm run posthog:inspect [-- --port N --flag KEY[=on|off|N%|VARIANT] --secret-key KEY --json]

const USAGE = `Usage: node scripts/capture-sink.ts [options]

Runs a local PostHog capture endpoint and prints every event it receives.
It also answers feature flags, both remotely (/flags) and with definitions for
local evaluation (when the server has POSTHOG_SECRET_KEY).

  --port N                port to listen on (default 8010; 0 picks a free one)
  --host ADDRESS          interface to bind (default 127.0.0.1)
  --flag KEY[=SETTING]    set a feature flag (repeatable). SETTING is
                            on        on for everyone (the default)
                            off       off for everyone
                            N%        on for N percent of users, picked the way
                                      PostHog does, e.g. detailed-analytics=50%
                            VARIANT   that variant for everyone
  --secret-key KEY        accept only this secret key for flag definitions
                          (default: any key), to try a wrong one
  --json                  print each event as raw JSON, one per line
  -h, --help              show this help

Example: npm run posthog:inspect -- --flag detailed-analytics=50% --secret-key phs_local`;

async function main() {
  let args;
  try {
    ({ values: args } = parseArgs({
      options: {
        port: { type: 'string', default: '8010' },
        host: { type: 'string', default: '127.0.0.1' },
        flag: { type: 'string', multiple: true, default: [] },
        'secret-key': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a number from 0 to 65535, got "${args.port}"`);
    process.exit(2);
  }
  let flags: FlagMap;
  try {
    flags = Object.fromEntries(args.flag.map(parseFlagSpec));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const secretKey = args['secret-key']?.trim() || undefined;

  let sink: CaptureSink;
  try {
    sink = await startCaptureSink({ port, host: args.host, flags, secretKey });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const hint = code === 'EADDRINUSE' ? ` (port ${port} is taken; try --port 0)` : '';
    console.error(`Could not start the capture sink: ${message}${hint}`);
    process.exit(1);
  }

  // With --json, stdout carries only events so it can be piped into jq.
  const log = args.json ? console.error : console.log;
  log(`PostHog capture sink listening on ${sink.url}`);
  log("Send your server's events here instead of to PostHog:");
  log(`  POSTHOG_HOST=${sink.url} npm start`);
  log('(Any token works. If .env has none, add POSTHOG_PROJECT_TOKEN=phc_local in front.)');
  const flagList = Object.entries(flags).map(([key, value]) => `${key} ${describeSetting(value)}`);
  log(`Feature flags: ${flagList.length ? flagList.join(', ') : 'none (add --flag detailed-analytics=on)'}`);
  log(
    secretKey
      ? 'Local evaluation: only the --secret-key you gave is accepted (set POSTHOG_SECRET_KEY to it).'
      : 'Local evaluation: any POSTHOG_SECRET_KEY is accepted (--secret-key to require one).',
  );
  log('Waiting for events. Ctrl-C to stop.\n');

  sink.onEvent((event) => console.log(args.json ? JSON.stringify(event) : formatEvent(event)));

  const stop = async () => {
    await sink.close();
    log(`\nStopped. ${sink.events.length} event(s) received.`);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function parseFlagSpec(spec: string): [string, FlagSetting] {
  const [key, setting = 'on'] = spec.split('=', 2);
  if (!key) throw new Error(`--flag needs a flag key, got "${spec}"`);
  if (setting === 'on' || setting === '') return [key, true];
  if (setting === 'off') return [key, false];
  if (setting.endsWith('%') && rolloutOf(setting) === undefined) {
    throw new Error(`--flag ${key}: a rollout is a percentage from 0% to 100%, got "${setting}"`);
  }
  return [key, setting];
}

function describeSetting(value: FlagSetting): string {
  if (value === true) return 'on for everyone';
  if (value === false) return 'off';
  const rollout = rolloutOf(value);
  return rollout === undefined ? `= ${value} for everyone` : `on for ${rollout}% of users`;
}

function formatEvent(event: CapturedEvent): string {
  const props: Json = isObject(event.properties) ? event.properties : {};
  const at = new Date(event.timestamp ?? Date.now());
  const time = Number.isNaN(at.getTime()) ? String(event.timestamp) : at.toTimeString().slice(0, 8);
  const personless = props.$process_person_profile === false ? '  (anonymous, no person profile)' : '';
  const rows: [string, unknown][] = [['distinct_id', event.distinct_id]];
  // From the page, through the server's relay: the browser's own address.
  if (event.forwarded) rows.push(['ip', `${event.ip} (X-Forwarded-For: through a relay)`]);
  if (props.$session_id !== undefined) rows.push(['$session_id', props.$session_id]);

  // The $-properties are SDK bookkeeping except for these few, which carry
  // the meaning of identify and exception events.
  if (props.$set !== undefined) rows.push(['$set', props.$set]);
  if (props.$anon_distinct_id !== undefined) rows.push(['$anon_distinct_id', props.$anon_distinct_id]);
  if (props.$feature_flag !== undefined) {
    rows.push(['flag', `${props.$feature_flag} = ${JSON.stringify(props.$feature_flag_response)}`]);
  }
  const exception = (props.$exception_list as { type: string; value: string }[] | undefined)?.[0];
  if (exception) rows.push(['exception', `${exception.type}: ${exception.value}`]);
  if (props.$response_status_code !== undefined) rows.push(['status', props.$response_status_code]);
  if (props.$request_path !== undefined) {
    rows.push(['request', `${props.$request_method ?? ''} ${props.$request_path}`.trim()]);
  }

  for (const [key, value] of Object.entries(props)) {
    if (!key.startsWith('$')) rows.push([key, value]);
  }
  const width = Math.max(...rows.map(([key]) => key.length));
  const lines = rows.map(
    ([key, value]) => `  ${key.padEnd(width)}  ${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  return `${time}  ${event.event}${personless}\n${lines.join('\n')}\n`;
}

function isMain() {
  try {
    return realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isMain()) await main();
