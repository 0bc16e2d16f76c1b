// posthog-node alone: the CPU one `todo_added` capture costs without any
// server or template around it, to set next to what PostHog adds to a
// generated server's POST /api/todos. bench.mjs copies this file into a
// rendered project (so that `posthog-node` is that project's copy) and runs it
// on the server's CPU:
//
//   node bare-capture.mjs <sink URL> <events> [batch]
//
// Without `batch`, a loop: 50 captures per turn of the event loop, as fast as
// the SDK takes them; its queue grows while a batch is on its way, so it sends
// a few batches of hundreds of events (its best case). With `batch`, the
// SDK's batches are made that size (flushAt, and posthog.flush() after every
// `batch` captures, awaited): what the SDK costs at the batch size a server
// under load was measured sending. flushAt is set here only, to reproduce
// that size; the template leaves it at the SDK's default (20).
//
// Prints one JSON line: {events, batch, loopUs, baselineUs, perEventUs}, CPU
// time (user + system, all threads) in µs. The client gets the options of the
// template's that change what a capture costs (the batch size), nothing else:
// posthog-node's own fetch and compression.
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { PostHog } from 'posthog-node';

const [host, eventsArg, batchArg] = process.argv.slice(2);
const EVENTS = Number(eventsArg);
const BATCH = Number(batchArg ?? 0);
// Captures between two turns of the event loop: a server interleaves requests
// with the SDK's flushes in the same way.
const PER_TURN = 50;
const distinctId = randomUUID();

const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

// The same loop without the SDK: what building the properties costs on its own.
async function loop(capture, flush = yieldToLoop) {
  const every = BATCH || PER_TURN;
  const start = cpu();
  for (let i = 0; i < EVENTS; i += 1) {
    capture({ distinctId, event: 'todo_added', properties: { todo_id: randomUUID(), title_length: 24, total_todos: i + 1 } });
    if (i % every === every - 1) await (BATCH ? flush() : yieldToLoop());
  }
  return start;
}

let sink = 0;
const baselineStart = await loop((message) => {
  sink += message.properties.total_todos;
});
const baselineUs = cpu() - baselineStart;

const posthog = new PostHog('phc_benchmark_token', { host, maxBatchSize: 1000, ...(BATCH ? { flushAt: BATCH } : {}) });
const start = await loop((message) => posthog.capture(message), () => posthog.flush());
// Delivery is part of the cost: compression and the HTTP requests.
await posthog.shutdown(60_000);
const loopUs = cpu() - start;
console.log(JSON.stringify({ events: EVENTS, batch: BATCH, loopUs, baselineUs, perEventUs: (loopUs - baselineUs) / EVENTS, check: sink > 0 }));
