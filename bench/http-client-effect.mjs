#!/usr/bin/env node
// What sending an HTTP request now and then does to the rest of a Node server.
// A generated server delivers its events to PostHog over a kept-alive
// connection; the benchmark found its GET requests, which send no event, up to
// 22 µs dearer with PostHog on than off on PostgreSQL, and nothing in the
// template's own code to account for it. This reproduces that without
// the template, PostHog or a database: two bare node:http servers answer the
// same JSON, at once, on the same core, under the same load; one of them also
// POSTs to a local sink every two seconds, in the way named by the mode. It
// prints the server CPU per request of each, and the difference.
//
//   node bench/http-client-effect.mjs [--rounds 4] [--seconds 15] [--modes keep-alive,no-keep-alive,...]
//
// Modes: keep-alive (node:http Agent with keepAlive, as the template delivers),
// no-keep-alive, fetch (undici, posthog-node's default), raw-socket (one
// net.Socket kept open, the request written by hand), worker (keep-alive
// node:http in a worker thread). Linux only (reads /proc); pins the servers to
// CPU 0 and the load and the sink to CPU 1 when taskset is there.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, workerData } from 'node:worker_threads';

const SELF = fileURLToPath(import.meta.url);
const MODES = ['keep-alive', 'no-keep-alive', 'fetch', 'raw-socket', 'worker'];
const EVERY_MS = 2000;
const CONNECTIONS = 10;

const TODOS = JSON.stringify({ todos: Array.from({ length: 20 }, (_, i) => ({ id: i + 1, title: `Benchmark todo ${i + 1}`, done: false })) });

/** A function that sends one small POST to `sink` the way `mode` says. */
function sender(mode, sink) {
  const url = new URL(sink);
  const viaAgent = (agent) => () =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume().on('end', resolve);
      });
      req.on('error', reject).end('{"batch":[]}');
    });
  if (mode === 'keep-alive') return viaAgent(new http.Agent({ keepAlive: true }));
  if (mode === 'no-keep-alive') return viaAgent(new http.Agent({ keepAlive: false }));
  if (mode === 'fetch') return () => fetch(url, { method: 'POST', body: '{"batch":[]}' }).then((res) => res.text());
  if (mode === 'raw-socket') {
    const socket = net.connect(Number(url.port), url.hostname).on('data', () => {});
    const body = '{"batch":[]}';
    return async () => socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  }
  throw new Error(`unknown mode ${mode}`);
}

function serve(mode, sink) {
  if (mode === 'worker') new Worker(SELF, { workerData: { sink } }).unref();
  else if (mode !== 'none') {
    const send = sender(mode, sink);
    setInterval(() => send().catch(() => {}), EVERY_MS).unref();
  }
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(TODOS);
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
}

function sinkServer() {
  const server = http.createServer((req, res) => req.resume().on('end', () => res.end('{"status":"Ok"}')));
  // As PostHog's own endpoint: connections stay open between batches.
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
}

/** Keeps CONNECTIONS requests in flight for `seconds`; prints how many were answered. */
async function loadServer(port, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const until = performance.now() + seconds * 1000;
  let answered = 0;
  const get = () =>
    new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/api/todos', agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        await get();
        answered += 1;
      }
    }),
  );
  console.log(JSON.stringify({ answered }));
  agent.destroy();
}

// ---------------------------------------------------------------------------

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function child(cpu, args) {
  const [command, rest] = hasTaskset ? ['taskset', ['-c', cpu, process.execPath, SELF, ...args]] : [process.execPath, [SELF, ...args]];
  const proc = spawn(command, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  const line = (async () => {
    while (!out.includes('\n')) await once(proc.stdout, 'data');
    return JSON.parse(out.slice(0, out.indexOf('\n')));
  })();
  return { proc, line };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function load(port, seconds) {
  const { proc, line } = child('1', ['load', String(port), String(seconds)]);
  const { answered } = await line;
  await once(proc, 'exit');
  return answered;
}

/** One round: a quiet server and a `mode` server side by side; µs of server CPU per request of each. */
async function round(mode, sinkUrl, seconds, swap) {
  const start = async (m) => {
    const { proc, line } = child('0', ['server', m, sinkUrl]);
    return { proc, port: (await line).port };
  };
  const [first, second] = swap ? [mode, 'none'] : ['none', mode];
  const servers = { [first]: await start(first), [second]: await start(second) };
  const quiet = servers.none;
  const busy = servers[mode];
  try {
    await Promise.all([load(quiet.port, 3), load(busy.port, 3)]);
    const before = [cpuTicks(quiet.proc.pid), cpuTicks(busy.proc.pid)];
    const [quietRequests, busyRequests] = await Promise.all([load(quiet.port, seconds), load(busy.port, seconds)]);
    const perRequest = (pid, ticksBefore, requests) => ((cpuTicks(pid) - ticksBefore) * (1e6 / CLOCK_TICKS)) / requests;
    return { quiet: perRequest(quiet.proc.pid, before[0], quietRequests), busy: perRequest(busy.proc.pid, before[1], busyRequests) };
  } finally {
    for (const { proc } of [quiet, busy]) proc.kill();
  }
}

async function main() {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '4' }, seconds: { type: 'string', default: '15' }, modes: { type: 'string', default: MODES.join(',') } },
  });
  const modes = values.modes.split(',');
  for (const mode of modes) if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}: one of ${MODES.join(', ')}`);
  const sink = child('1', ['sink']);
  const sinkUrl = `http://127.0.0.1:${(await sink.line).port}/batch/`;
  console.log(`Node ${process.version}; ${values.rounds} rounds of ${values.seconds} s, ${CONNECTIONS} connections; one POST every ${EVERY_MS / 1000} s in the mode's way${hasTaskset ? '; servers on CPU 0, load and sink on CPU 1' : ''}.`);
  console.log('| mode | server CPU per request, quiet / with the POSTs | difference per round | mean difference |');
  console.log('| --- | --- | --- | --- |');
  try {
    for (const mode of modes) {
      const rounds = [];
      for (let i = 0; i < Number(values.rounds); i += 1) rounds.push(await round(mode, sinkUrl, Number(values.seconds), i % 2 === 1));
      const mean = (pick) => rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
      const diffs = rounds.map((r) => (r.busy - r.quiet).toFixed(1)).join(', ');
      console.log(`| ${mode} | ${mean((r) => r.quiet).toFixed(1)} / ${mean((r) => r.busy).toFixed(1)} µs | ${diffs} | ${mean((r) => r.busy - r.quiet).toFixed(1)} µs |`);
    }
  } finally {
    sink.proc.kill();
  }
}

if (!isMainThread) {
  const send = sender('keep-alive', workerData.sink);
  setInterval(() => send().catch(() => {}), EVERY_MS);
} else {
  const [role, ...args] = process.argv.slice(2);
  if (role === 'server') serve(args[0], args[1]);
  else if (role === 'sink') sinkServer();
  else if (role === 'load') await loadServer(Number(args[0]), Number(args[1]));
  else await main();
}
