// Reading what reached the capture sink.
import assert from 'node:assert/strict';
import type { CapturedEvent } from '../../scripts/capture-sink.ts';
import { USER_AGENT } from './client.ts';

/**
 * The properties the contract gives the server's events (each only on the
 * events it belongs to), and whatever else posthog-node adds.
 */
export interface EventProperties {
  $session_id?: string;
  $current_url?: string;
  $request_method?: string;
  $request_path?: string;
  $user_agent?: string;
  $process_person_profile?: boolean;
  $anon_distinct_id?: string;
  $set?: { email?: string; name?: string | null };
  $exception_list?: { type: string; value?: string }[];
  $response_status_code?: number;
  signup_method?: string;
  login_method?: string;
  todo_id?: string;
  title_length?: number;
  total_todos?: number;
  fields_changed?: string[];
  time_to_complete_hours?: number;
  was_completed?: boolean;
  detailed_analytics?: boolean;
  [name: string]: unknown;
}

/**
 * An event the server under test sent: the sink keeps any JSON it receives
 * (CapturedEvent), and what posthog-node sends has these fields.
 */
export interface PostHogEvent extends CapturedEvent {
  event: string;
  distinct_id: string;
  properties: EventProperties;
  uuid: string;
  timestamp: string;
  /** The project token the batch was sent with. */
  api_key?: string;
}

/** What assertRequestProperties expects of an event. */
export interface RequestExpectation {
  method: string;
  path: string;
  /** The path and query $current_url must name; `path` unless given. */
  url?: string;
}

// The SDK may report flag reads on its own; the contract's events are the rest.
const SDK_BOOKKEEPING = new Set(['$feature_flag_called']);

// The helpers below hand back events as PostHogEvent: the server under test
// sends through posthog-node only.

/** The events the server itself captured, in arrival order. */
export function appEvents(events: readonly CapturedEvent[]) {
  return events.filter((event) => !SDK_BOOKKEEPING.has(event.event)) as PostHogEvent[];
}

export function named(events: readonly CapturedEvent[], name: string) {
  return events.filter((event) => event.event === name) as PostHogEvent[];
}

/** Exactly one event with this name; returns it. */
export function only(events: readonly CapturedEvent[], name: string): PostHogEvent {
  const found = named(events, name);
  assert.equal(
    found.length,
    1,
    `expected exactly one ${name}, got ${found.length} among: ${namesOf(events).join(', ')}`,
  );
  return found[0];
}

/** Event names, sorted, so a list of expected names can be compared regardless of batching order. */
export function namesOf(events: readonly CapturedEvent[]) {
  return appEvents(events)
    .map((event) => event.event)
    .sort();
}

/** The request properties posthog-node's Express helper would attach. */
export function assertRequestProperties(event: PostHogEvent, { method, path, url = path }: RequestExpectation) {
  const props = event.properties;
  assert.equal(props.$request_method, method, `${event.event}: $request_method`);
  assert.equal(props.$request_path, path, `${event.event}: $request_path`);
  // The Express helper records the path and query; an absolute URL is fine too.
  const current = new URL(props.$current_url ?? '', 'http://placeholder.invalid');
  assert.equal(current.pathname + current.search, url, `${event.event}: $current_url was ${props.$current_url}`);
  assert.equal(props.$user_agent, USER_AGENT, `${event.event}: $user_agent`);
}
