// Reading what reached the capture sink.
import assert from 'node:assert/strict';
import { USER_AGENT } from './client.js';

// The SDK may report flag reads on its own; the contract's events are the rest.
const SDK_BOOKKEEPING = new Set(['$feature_flag_called']);

// The helpers below hand back events as PostHogEvent: the server under test
// sends through posthog-node only.

/** The events the server itself captured, in arrival order. */
export function appEvents(events) {
  return events.filter((event) => !SDK_BOOKKEEPING.has(event.event));
}

export function named(events, name) {
  return events.filter((event) => event.event === name);
}

/** Exactly one event with this name; returns it. */
export function only(events, name) {
  const found = named(events, name);
  assert.equal(
    found.length,
    1,
    `expected exactly one ${name}, got ${found.length} among: ${namesOf(events).join(', ')}`,
  );
  return found[0];
}

/** Event names, sorted, so a list of expected names can be compared regardless of batching order. */
export function namesOf(events) {
  return appEvents(events)
    .map((event) => event.event)
    .sort();
}

/** The request properties posthog-node's Express helper would attach. */
export function assertRequestProperties(event, { method, path, url = path }) {
  const props = event.properties;
  assert.equal(props.$request_method, method, `${event.event}: $request_method`);
  assert.equal(props.$request_path, path, `${event.event}: $request_path`);
  // The Express helper records the path and query; an absolute URL is fine too.
  const current = new URL(props.$current_url ?? '', 'http://placeholder.invalid');
  assert.equal(current.pathname + current.search, url, `${event.event}: $current_url was ${props.$current_url}`);
  assert.equal(props.$user_agent, USER_AGENT, `${event.event}: $user_agent`);
}
