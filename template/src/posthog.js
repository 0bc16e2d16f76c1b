import { PostHog } from 'posthog-node';

// posthog.identify() deliberately leaves the request context out of $identify.
// The session id is what ties the person merge to the browser's session, so
// put it back when the request carried one.
function addSessionToIdentify(event, context) {
  if (event.event === '$identify' && context?.sessionId && !event.properties?.$session_id) {
    event.properties = { ...event.properties, $session_id: context.sessionId };
  }
  return event;
}

// Clients built with a secret key, so the flag readers know not to fall back
// to a /flags request (see analytics.js).
const locallyEvaluating = new WeakSet();

export function usesLocalEvaluation(posthog) {
  return locallyEvaluating.has(posthog);
}

export function createPostHog({ apiKey, host, debug, secretKey, flagsPollIntervalMs }, log = console) {
  if (!apiKey) {
    log.warn('PostHog is disabled: set POSTHOG_PROJECT_TOKEN (in .env) to send events.');
  }
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
    // backlog in bigger batches costs far fewer requests (and queue copies) per
    // event, so delivery keeps up instead of dropping the oldest events.
    maxBatchSize: 1000,
    before_send: (event) => addSessionToIdentify(event, posthog.getContext()),
    ...localEvaluationOptions(apiKey, secretKey, flagsPollIntervalMs),
  });
  if (debug) posthog.debug(true);
  if (apiKey && secretKey) {
    locallyEvaluating.add(posthog);
    reportDefinitionProblems(posthog, log);
  }
  return posthog;
}

// With a secret key the SDK polls the flag definitions (every 30 s unless
// POSTHOG_FLAGS_POLL_INTERVAL_MS says otherwise) and evaluates flags in process.
function localEvaluationOptions(apiKey, secretKey, pollIntervalMs) {
  if (!apiKey || !secretKey) return {};
  return { secretKey, ...(pollIntervalMs ? { featureFlagsPollingInterval: pollIntervalMs } : {}) };
}

// The poller reports a refused key on every poll (with backoff up to once a
// minute); say it once in plain words, and again only after it worked in between.
// The SDK's messages never contain the key, and neither does ours.
const DEFINITION_PROBLEMS = [
  [/invalid/i, 'PostHog rejected POSTHOG_SECRET_KEY (HTTP 401): the key, or the project token it is paired with, is wrong'],
  [/permission/i, 'POSTHOG_SECRET_KEY may not read feature flag definitions (HTTP 403): use the project\'s feature flags secret key (phs_...) or a personal API key with feature flag read access, from this project'],
  [/rate limited/i, 'PostHog is rate limiting the feature flag definitions requests (HTTP 429)'],
];

function reportDefinitionProblems(posthog, log) {
  const reported = new Set();
  posthog.on('error', (error) => {
    if (error?.name !== 'ClientError') return;
    const problem = DEFINITION_PROBLEMS.find(([pattern]) => pattern.test(error.message))?.[1];
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
export async function waitForFlagDefinitions(posthog, timeoutMs) {
  if (!usesLocalEvaluation(posthog)) return;
  let unsubscribe;
  const refused = new Promise((resolve) => {
    unsubscribe = posthog.on('error', (error) => error?.name === 'ClientError' && resolve());
  });
  await Promise.race([posthog.waitForLocalEvaluationReady(timeoutMs), refused]);
  unsubscribe();
}
