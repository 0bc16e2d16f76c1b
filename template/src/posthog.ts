import { PostHog, type EventMessage, type PostHogOptions } from 'posthog-node';
import type { PostHogConfig } from './config.ts';

/** Where the server's own messages go: console, or a test's stand-in. */
export type Log = Pick<Console, 'log' | 'warn' | 'error'>;

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

/**
 * posthog-node, with two changes to how it fails. Every failed request is
 * already emitted as an 'error' event (reported in one line by
 * reportPostHogErrors); the SDK also prints each failed background flush, with
 * its stack, on every flush interval, which buries the server's own output.
 */
export class AppPostHog extends PostHog {
  declare readonly evaluatesFlagsLocally: boolean;

  constructor(apiKey: string, options: PostHogOptions) {
    super(apiKey, options);
    // With a secret key the SDK evaluates flags in process, so the flag readers
    // never fall back to a /flags request (see analytics.ts).
    this.evaluatesFlagsLocally = options.secretKey !== undefined;
  }

  protected override flushAutomatic(): Promise<void> {
    return super.flushAutomatic().catch(() => {});
  }

  /** Events captured but not delivered yet (they live in the SDK's in-memory queues). */
  get pendingEvents(): number {
    let count = 0;
    for (const route of this.getActiveQueueRoutes()) {
      // A queue is an array (the SDK leaves persisted properties untyped: any).
      count += this.getPersistedProperty(this.persistedQueueKeyForRoute(route))?.length ?? 0;
    }
    return count;
  }

  /**
   * Delivers what is queued within `timeoutMs` and resolves with the number of
   * events that could not be delivered. The SDK's own shutdown() waits up to
   * 30 s by default and prints failures with their stacks, so it is called
   * only once the queue is empty, to stop the SDK's timers and listeners.
   */
  async stop(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    const flushed = this.flush().catch(() => {});
    await withTimeout(flushed, timeoutMs);
    const undelivered = this.pendingEvents;
    const left = deadline - performance.now();
    if (undelivered === 0 && left > 0) {
      const shutDown = this.shutdown(left).catch(() => {});
      await withTimeout(shutDown, left);
    }
    return undelivered;
  }
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What went wrong, in words, and a key that is the same for every repeat of it. */
export function describePostHogError(
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

/**
 * Reports PostHog's errors as one line per kind of problem, not one (or a
 * stack trace) per failed request. A delivery that succeeds again ends the
 * outage: it is said once, and a new problem is reported again.
 */
function reportPostHogErrors(posthog: PostHog, { host, debug }: Pick<PostHogConfig, 'host' | 'debug'>, log: Log): void {
  const reported = new Set<string>();
  posthog.on('error', (error: PostHogFailure | undefined) => {
    // POSTHOG_DEBUG asks for everything, stacks included.
    if (debug) log.error('[PostHog]', error);
    // Refused flag definitions have their own plain-words report (reportDefinitionProblems).
    if (error?.name === 'ClientError') return;
    const { kind, message } = describePostHogError(error, host);
    if (reported.has(kind)) return;
    reported.add(kind);
    log.error(message);
  });
  posthog.on('flush', () => {
    if (reported.size === 0) return;
    reported.clear();
    log.error(`PostHog at ${host} is accepting events again.`);
  });
}

export function createPostHog(
  { apiKey, host, debug, secretKey, flagsPollIntervalMs }: PostHogConfig,
  log: Log = console,
): AppPostHog {
  if (!apiKey) {
    log.warn('PostHog is disabled: set POSTHOG_PROJECT_TOKEN (in .env) to send events.');
  } else {
    log.log(`PostHog: sending events to ${host}`);
  }
  // With no key the SDK disables itself, so no call site needs to check.
  const posthog = new AppPostHog(apiKey, {
    host,
    disabled: !apiKey,
    enableExceptionAutocapture: true,
    // A route that reads a flag waits for PostHog. The SDK's default (3 s, then
    // one retry 3 s later) holds such a request 9 s while PostHog hangs; the
    // routes treat an unanswered flag as off, so give up after 1 s.
    featureFlagsRequestTimeoutMs: 1000,
    featureFlagsRequestMaxRetries: 0,
    // Under sustained load the queue outgrows a 100-event batch; sending the
    // backlog in bigger batches costs far fewer requests (and queue copies) per
    // event, so delivery keeps up instead of dropping the oldest events.
    maxBatchSize: 1000,
    before_send: (event) => addSessionToIdentify(event, posthog.getContext()),
    ...localEvaluationOptions(apiKey, secretKey, flagsPollIntervalMs),
  });
  if (debug) posthog.debug(true);
  reportPostHogErrors(posthog, { host, debug }, log);
  if (posthog.evaluatesFlagsLocally) reportDefinitionProblems(posthog, log);
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
export async function waitForFlagDefinitions(posthog: AppPostHog, timeoutMs: number): Promise<void> {
  if (!posthog.evaluatesFlagsLocally) return;
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
