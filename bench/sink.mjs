// The capture sink in its own process, so that the benchmark's load generator
// and the sink's work stay out of the driver's event loop. Started by bench.mjs
// with an IPC channel; it imports the generated project's own sink
// (scripts/capture-sink.js) and adds one outage mode the sink cannot do in
// place: refusing connections (the listening socket is closed, then reopened
// on the same port).
//
//   node sink.mjs <path to capture-sink.js>
//
// Messages in:  {id, op: 'mode', mode: 'ok'|'error500'|'stall'|'refuse'}
//               {id, op: 'counts'} | {id, op: 'reset'}
// Messages out: {id, ok: true, ...result} | {id, ok: false, error}
import { pathToFileURL } from 'node:url';

const { startCaptureSink } = await import(pathToFileURL(process.argv[2]).href);

// Counted here rather than read from sink.events, so that a long run does not
// keep every event in memory and a restarted (refuse -> ok) sink keeps counting.
const counts = { events: 0, byName: {} };
let sink;
let port = 0;

async function start() {
  sink = await startCaptureSink({ port, flags: {} });
  port = sink.port;
  sink.onEvent((event) => {
    counts.events += 1;
    counts.byName[event.event] = (counts.byName[event.event] ?? 0) + 1;
    // The sink keeps bodies for tests; a benchmark only needs the counts.
    sink.events.length = 0;
    sink.requests.length = 0;
  });
}

async function setMode(mode) {
  if (mode === 'refuse') {
    if (sink) {
      const closing = sink;
      sink = null;
      await closing.close();
    }
    return;
  }
  if (!sink) await start();
  sink.setMode(mode);
}

await start();

process.on('message', async ({ id, op, mode }) => {
  try {
    let result = {};
    if (op === 'mode') await setMode(mode);
    else if (op === 'counts') result = { counts: structuredClone(counts) };
    else if (op === 'reset') {
      counts.events = 0;
      counts.byName = {};
    } else throw new Error(`unknown op ${op}`);
    process.send({ id, ok: true, ...result });
  } catch (error) {
    process.send({ id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, url: sink.url, port });
