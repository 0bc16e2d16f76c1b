// The capture sink in its own process, so that the benchmark's load generator
// and the sink's work stay out of the driver's event loop. Started by bench.mjs
// with an IPC channel; it imports the generated project's own sink
// (scripts/capture-sink.js) and adds what the sink cannot do in place:
// refusing connections (the listening socket is closed, then reopened on the
// same port), a delay before answering flag requests (PostHog is not on
// localhost: its /flags answer takes a network round trip), and a count of
// requests per path (to show that local evaluation sends no /flags request).
//
//   node sink.mjs <path to capture-sink.js> [options as JSON]
//
// Options: {flags: {key: setting}, secretKey: string, flagsDelayMs: number}
// Messages in:  {id, op: 'mode', mode: 'ok'|'error500'|'stall'|'refuse'}
//               {id, op: 'counts'} | {id, op: 'reset'}
// Messages out: {id, ok: true, ...result} | {id, ok: false, error}
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { pathToFileURL } from 'node:url';

const { flags = {}, secretKey, flagsDelayMs = 0 } = JSON.parse(process.argv[3] ?? '{}');

// Counted here rather than read from sink.events, so that a long run does not
// keep every event in memory and a restarted (refuse -> ok) sink keeps counting.
const counts = { events: 0, byName: {}, requests: {} };

// The project's sink builds its server with node:http's createServer; wrap the
// request listener before it is imported (syncBuiltinESMExports makes its
// `import { createServer }` see the wrapper) to count and delay requests
// without touching the project's file.
const createServer = http.createServer;
http.createServer = (...args) => {
  const listener = args.pop();
  return createServer(...args, (req, res) => {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    counts.requests[path] = (counts.requests[path] ?? 0) + 1;
    if (flagsDelayMs > 0 && /^\/(flags|decide)(\/|$)/.test(path)) setTimeout(() => listener(req, res), flagsDelayMs);
    else listener(req, res);
  });
};
syncBuiltinESMExports();

const { startCaptureSink } = await import(pathToFileURL(process.argv[2]).href);

let sink;
let port = 0;

async function start() {
  sink = await startCaptureSink({ port, flags, secretKey });
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
      counts.requests = {};
    } else throw new Error(`unknown op ${op}`);
    process.send({ id, ok: true, ...result });
  } catch (error) {
    process.send({ id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, url: sink.url, port });
