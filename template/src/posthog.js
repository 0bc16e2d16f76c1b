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

export function createPostHog({ apiKey, host, debug }, log = console) {
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
  });
  if (debug) posthog.debug(true);
  return posthog;
}
