import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { PostHog, type EventMessage, type PostHogOptions } from 'posthog-node';
import type { PostHogConfig } from './config.ts';
import type { Logger } from './logger.ts';

/** Where the client's own lines go: the server's logger (src/logger.ts). */
export type Log = Pick<Logger, 'info' | 'warn' | 'error'>;

// What the SDK's errors may carry (its 'error' event gives them untyped).
interface PostHogFailure {
  name?: string;
  message?: string;
  status?: unknown;
  response?: { url?: string };
  error?: FailureCause;
  cause?: FailureCause;
}
interface FailureCause {
  name?: string;
  message?: string;
  code?: string;
  cause?: { code?: string; message?: string };
}

// posthog.identify() deliberately leaves the request context out of $identify.
// The session id is what ties the person merge to the browser's session, so
// put it back when the request carried one.
function addSessionToIdentify(event: EventMessage, context: { sessionId?: string } | undefined): EventMessage {
  if (event.event === '$identify' && context?.sessionId && !event.properties?.$session_id) {
    event.properties = { ...event.properties, $session_id: context.sessionId };
  }
  return event;
}

// Each attempt to deliver a batch gives up after this long; the next one waits
// a little longer, up to a minute.
const ATTEMPT_TIMEOUT_MS = 10_000;
const RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000];
// The SDK's own deadline per request: far beyond any attempt, so that batches
// are only ever retried by deliverBatches below.
const SDK_REQUEST_TIMEOUT_MS = 24 * 60 * 60 * 1000;

type Fetch = NonNullable<PostHogOptions['fetch']>;
type FetchResponse = Awaited<ReturnType<Fetch>>;

// Batches go out through node:http(s) rather than fetch(), compressed here
// rather than by the SDK (disableCompression below): a server sends a batch
// every 20 events or so, and per batch fetch's request, header and stream
// objects cost far more CPU than a plain request, and the SDK's gzip a round
// trip through the thread pool that costs more than compressing a typical
// batch (a few kB) on the spot. A large backlog is still compressed off the
// event loop.
const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };
const SYNC_GZIP_MAX_BYTES = 64 * 1024;
const gzipAsync = promisify(gzip);

async function compressed(body: unknown): Promise<{ body: Buffer; encoding?: string }> {
  if (typeof body !== 'string') return { body: Buffer.from(body as Uint8Array) };
  return { body: body.length <= SYNC_GZIP_MAX_BYTES ? gzipSync(body) : await gzipAsync(body), encoding: 'gzip' };
}

/** One POST; resolves with the status once PostHog has answered, whatever its body. */
function post(url: URL, headers: Record<string, string>, body: Buffer, signal: AbortSignal): Promise<FetchResponse> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const agent = agents[url.protocol as keyof typeof agents];
  const options = { method: 'POST', agent, signal, headers: { ...headers, 'Content-Length': String(body.length) } };
  return new Promise((resolve, reject) => {
    const send = (retried: boolean) => {
      const req = request(url, options, (res) => {
        // The status is all a batch needs; drain the body so the connection is reused.
        res.on('error', () => {}).resume();
        resolve(answer(res.statusCode ?? 0, res.headers));
      });
      req.once('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive connection PostHog closed just as it was reused: send again at once (Node's advice).
        if (req.reusedSocket && error.code === 'ECONNRESET' && !retried && !signal.aborted) send(true);
        else reject(signal.aborted ? signal.reason : error);
      });
      req.end(body);
    };
    send(false);
  });
}

// What the SDK reads of an answer: the status, and Retry-After when it backs off.
function answer(status: number, headers: IncomingHttpHeaders = {}): FetchResponse {
  return {
    status,
    text: async () => '',
    json: async () => ({}),
    headers: {
      get: (name) => {
        const value = headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : (value ?? null);
      },
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

function eventsIn(body: unknown): number {
  try {
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body as Uint8Array);
    const json = bytes[0] === 0x1f ? gunzipSync(bytes).toString() : bytes.toString();
    return (JSON.parse(json) as { batch?: unknown[] }).batch?.length ?? 0;
  } catch {
    return 0;
  }
}

/**
 * The SDK's fetch, for event batches. posthog-node prints every batch it
 * fails to deliver with a stack trace, again on every flush, for as long as
 * PostHog is unreachable. Here an unreachable or failing PostHog is retried
 * until it answers (events stay in the SDK's queue meanwhile) and reported
 * once per kind of problem, and a batch PostHog refuses (a wrong token) is
 * reported, counted and dropped, as the SDK would drop it. Other requests
 * (flags) go out as they are, with the SDK's own timeouts.
 */
function deliverBatches(report: (problem: Problem) => void, delivery: Delivery): Fetch {
  return async (url, options) => {
    if (!new URL(url).pathname.endsWith('/batch/')) {
      const signals = [AbortSignal.timeout(ATTEMPT_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])];
      return fetch(url, { ...options, signal: AbortSignal.any(signals) } as RequestInit);
    }
    const { body, encoding } = await compressed(options.body);
    const headers = encoding ? { ...options.headers, 'Content-Encoding': encoding } : options.headers;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const response = await post(new URL(url), headers, body, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS));
        // 413: the SDK halves the batch and sends it again.
        if ((response.status >= 200 && response.status < 300) || response.status === 413) return response;
        report({ status: response.status, response: { url } });
        if (response.status < 500 && response.status !== 408 && response.status !== 429) {
          delivery.dropped += eventsIn(body);
          return answer(200);
        }
      } catch (error) {
        report({ name: 'PostHogFetchNetworkError', error: error as FailureCause });
      }
      await sleep(RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]);
    }
  };
}

/** How many events were captured, delivered, and refused by PostHog, counted from the SDK's own events. */
export interface Delivery {
  captured: number;
  delivered: number;
  dropped: number;
}

const delivery = new WeakMap<PostHog, Delivery>();

/** Events captured but not delivered (yet). */
export function pendingEvents(posthog: PostHog): number {
  const counts = delivery.get(posthog);
  return counts ? counts.captured - counts.delivered : 0;
}

/**
 * Delivers what is queued within `timeoutMs` (the SDK's shutdown resolves at
 * its deadline), then resolves with the number of events that did not reach
 * PostHog. The caller exits the process, which ends any delivery still trying.
 */
export async function stopPostHog(posthog: PostHog, timeoutMs: number): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([posthog.flush().catch(() => {}), deadline]);
  clearTimeout(timer);
  // Nothing left to send: shutting down stops the SDK's timers and flag poller.
  const left = timeoutMs - (performance.now() - started);
  if (pendingEvents(posthog) === 0 && left > 0) await posthog.shutdown(left);
  return pendingEvents(posthog) + (delivery.get(posthog)?.dropped ?? 0);
}

/** What went wrong, in words, and a key that is the same for every repeat of it. */
function describePostHogError(
  error: PostHogFailure | null | undefined,
  host: string,
): { kind: string; message: string } {
  const status = typeof error?.status === 'number' ? error.status : undefined;
  if (status !== undefined) {
    const path = safePath(error!.response?.url);
    const what = path.startsWith('/flags') ? 'feature flags' : path ? path : 'a request';
    if (status === 401 || status === 403) {
      return {
        kind: `http:${status}`,
        message: `PostHog at ${host} rejected the project token (HTTP ${status} for ${what}): check POSTHOG_PROJECT_TOKEN (npm run posthog:check).`,
      };
    }
    return { kind: `http:${status}:${what}`, message: `PostHog at ${host} answered HTTP ${status} for ${what}.` };
  }
  if (error?.name === 'PostHogFetchNetworkError') {
    const cause = error.error ?? error.cause;
    const reason =
      cause?.name === 'AbortError' || cause?.name === 'TimeoutError'
        ? cause.message || 'no answer in time'
        : (cause?.cause?.code ?? cause?.code ?? cause?.cause?.message ?? cause?.message ?? 'network error');
    return {
      kind: `network:${cause?.name === 'AbortError' || cause?.name === 'TimeoutError' ? 'timeout' : reason}`,
      message: `PostHog at ${host} cannot be reached (${reason}); events stay queued in memory and are retried.`,
    };
  }
  const message = error?.message ?? String(error);
  return { kind: `other:${message}`, message: `PostHog: ${message}` };
}

function safePath(url: string | undefined): string {
  try {
    return url ? new URL(url).pathname : '';
  } catch {
    return '';
  }
}

type Problem = PostHogFailure | null | undefined;

/**
 * One line per kind of problem, not one (or a stack trace) per failed
 * request. A delivery that succeeds again (a null problem) ends the outage:
 * that is said once, and a new problem is reported again.
 */
function problemReporter({ host, debug }: Pick<PostHogConfig, 'host' | 'debug'>, log: Log) {
  const reported = new Set<string>();
  return (problem: Problem) => {
    if (problem === null) {
      if (reported.size > 0) log.info(`PostHog at ${host} is accepting events again.`);
      reported.clear();
      return;
    }
    if (debug) log.error({ err: problem }, '[PostHog] delivery problem');
    const { kind, message } = describePostHogError(problem, host);
    if (reported.has(kind)) return;
    reported.add(kind);
    log.error(message);
  };
}

export function createPostHog(
  { apiKey, host, debug, secretKey, flagsPollIntervalMs }: Omit<PostHogConfig, 'proxyPath'>,
  log: Log,
): PostHog {
  if (!apiKey) {
    log.warn('PostHog is disabled: set POSTHOG_PROJECT_TOKEN (in .env) to send events.');
  } else {
    log.info(`PostHog: sending events to ${host}`);
  }
  const counts: Delivery = { captured: 0, delivered: 0, dropped: 0 };
  const report = problemReporter({ host, debug }, log);
  // With no key the SDK disables itself, so no call site needs to check.
  const posthog = new PostHog(apiKey, {
    host,
    disabled: !apiKey,
    enableExceptionAutocapture: true,
    // A route that reads a flag waits for PostHog. The SDK's default (3 s, then
    // one retry 3 s later) holds such a request 9 s while PostHog hangs; the
    // routes treat an unanswered flag as off, so give up after 1 s.
    featureFlagsRequestTimeoutMs: 1000,
    featureFlagsRequestMaxRetries: 0,
    // Under sustained load the queue outgrows a 100-event batch; sending the
    // backlog in bigger batches costs far fewer requests per event.
    maxBatchSize: 1000,
    fetch: deliverBatches(report, counts),
    disableCompression: true,
    requestTimeout: SDK_REQUEST_TIMEOUT_MS,
    before_send: (event) => addSessionToIdentify(event, posthog.getContext()),
    ...localEvaluationOptions(apiKey, secretKey, flagsPollIntervalMs),
  });
  if (debug) posthog.debug(true);
  delivery.set(posthog, counts);
  for (const type of ['capture', 'identify', 'alias']) posthog.on(type, () => (counts.captured += 1));
  posthog.on('flush', (sent: unknown[]) => {
    counts.delivered += sent.length;
    report(null);
  });
  // Flag requests fail as 'error' events; refused definitions have their own report.
  posthog.on('error', (error: PostHogFailure | undefined) => {
    if (error?.name !== 'ClientError') report(error);
  });
  if (secretKey && apiKey) reportDefinitionProblems(posthog, log);
  return posthog;
}

// With a secret key the SDK polls the flag definitions (every 30 s unless
// POSTHOG_FLAGS_POLL_INTERVAL_MS says otherwise) and evaluates flags in process.
function localEvaluationOptions(
  apiKey: string,
  secretKey: string | undefined,
  pollIntervalMs: number | undefined,
): Pick<PostHogOptions, 'secretKey' | 'featureFlagsPollingInterval'> {
  if (!apiKey || !secretKey) return {};
  return { secretKey, ...(pollIntervalMs ? { featureFlagsPollingInterval: pollIntervalMs } : {}) };
}

// The poller reports a refused key on every poll (with backoff up to once a
// minute); say it once in plain words, and again only after it worked in between.
// The SDK's messages never contain the key, and neither does ours.
const DEFINITION_PROBLEMS: [RegExp, string][] = [
  [
    /invalid/i,
    'PostHog rejected POSTHOG_SECRET_KEY (HTTP 401): the key, or the project token it is paired with, is wrong',
  ],
  [
    /permission/i,
    "POSTHOG_SECRET_KEY may not read feature flag definitions (HTTP 403): use the project's feature flags secret key (phs_...) or a personal API key with feature flag read access, from this project",
  ],
  [/rate limited/i, 'PostHog is rate limiting the feature flag definitions requests (HTTP 429)'],
];

function reportDefinitionProblems(posthog: PostHog, log: Log): void {
  const reported = new Set<string>();
  posthog.on('error', (error: PostHogFailure | undefined) => {
    if (error?.name !== 'ClientError') return;
    const problem = DEFINITION_PROBLEMS.find(([pattern]) => pattern.test(error.message as string))?.[1];
    const line = `${problem ?? 'Could not load feature flag definitions'}. Flags count as off until definitions load; npm run posthog:check explains more.`;
    if (reported.has(line)) return;
    reported.add(line);
    log.warn(line);
  });
  posthog.on('localEvaluationFlagsLoaded', () => reported.clear());
}

/**
 * Resolves once flag definitions are loaded, the key is refused, or
 * `timeoutMs` has passed, whichever is first. Never rejects.
 */
export async function waitForFlagDefinitions(posthog: PostHog, timeoutMs: number): Promise<void> {
  if (!posthog.options.secretKey) return;
  let unsubscribe!: () => void;
  const refused = new Promise<void>((resolve) => {
    unsubscribe = posthog.on(
      'error',
      (error: PostHogFailure | undefined) => error?.name === 'ClientError' && resolve(),
    );
  });
  await Promise.race([posthog.waitForLocalEvaluationReady(timeoutMs), refused]);
  unsubscribe();
}
