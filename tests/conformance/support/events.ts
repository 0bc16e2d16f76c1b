// What reached the capture sink. pytest runs the project's own sink
// (`npm run posthog:inspect -- --json`), which writes each event it receives
// as one JSON line to the file named by CONFORMANCE_EVENTS.
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, watch } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { addTodo, PROJECT_TOKEN } from './client.ts';

/** The properties of the server's events that the suite looks at. */
export interface EventProperties {
  $session_id?: string;
  $current_url?: string;
  $request_method?: string;
  $request_path?: string;
  $user_agent?: string;
  $anon_distinct_id?: string;
  $exception_list?: { type: string; value?: string }[];
  todo_id?: string;
  [name: string]: unknown;
}

/** An event as the sink prints it: posthog-node's fields, with the batch's api_key. */
export interface PostHogEvent {
  event: string;
  distinct_id: string;
  properties: EventProperties;
  uuid: string;
  timestamp?: string;
  api_key?: string;
  [field: string]: unknown;
}

const EVENTS_FILE = process.env.CONFORMANCE_EVENTS;
if (!EVENTS_FILE)
  throw new Error('CONFORMANCE_EVENTS is not set: run this suite through tests/conformance.py (pytest)');

// posthog-node sends its queue once it holds this many events (its default
// flushAt; the contract forbids overriding it), else only every 10 s.
const SDK_FLUSH_AT = 20;
const WAIT_MS = 15_000;

// The file only grows: read what was added since the last call.
const received: PostHogEvent[] = [];
let offset = 0;
let partial = '';
const decoder = new StringDecoder('utf8');

/** Every event the sink has written so far, in arrival order. */
export function readEvents(): PostHogEvent[] {
  const fd = openSync(EVENTS_FILE!, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, offset);
      if (read === 0) break;
      offset += read;
      const lines = (partial + decoder.write(chunk.subarray(0, read))).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) received.push(JSON.parse(line) as PostHogEvent);
    }
  } finally {
    closeSync(fd);
  }
  return received;
}

/** Resolves with every event so far once one matches; the sink's writes to the file are the signal. */
export function waitForEvent(matches: (event: PostHogEvent) => boolean, what: string): Promise<PostHogEvent[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const events = readEvents();
      if (!events.some(matches)) return;
      done();
      resolve(events);
    };
    const watcher = watch(EVENTS_FILE!, check);
    const timer = setTimeout(() => {
      done();
      reject(
        new Error(`no event ${what} reached the sink within ${WAIT_MS} ms (${readEvents().length} events so far)`),
      );
    }, WAIT_MS);
    const done = () => {
      clearTimeout(timer);
      watcher.close();
    };
    check();
  });
}

/**
 * Resolves with every event the sink has, once everything `token`'s user did
 * before the call has reached it: a marker todo, then enough todos to make
 * posthog-node send its queue, marker included (its queue is sent in order).
 * An `$exception` is captured asynchronously and may still be on its way:
 * pytest checks the complete log for those once the server has shut down.
 */
export async function settledEvents(token: string): Promise<PostHogEvent[]> {
  const marker = await addTodo(token, 'conformance marker');
  for (let i = 0; i < SDK_FLUSH_AT; i += 1) await addTodo(token, 'conformance flush');
  const events = await waitForEvent(
    (event) => event.event === 'todo_added' && event.properties.todo_id === marker.id,
    `todo_added for ${marker.id}`,
  );
  for (const event of events) {
    assert.equal(event.api_key, PROJECT_TOKEN, `event ${event.event} was sent with another project token`);
  }
  return events;
}

/** Exactly one event with this name among `events`; returns it. */
export function only(events: readonly PostHogEvent[], name: string): PostHogEvent {
  const found = events.filter((event) => event.event === name);
  assert.equal(found.length, 1, `expected exactly one ${name}, got ${found.length}`);
  return found[0];
}
