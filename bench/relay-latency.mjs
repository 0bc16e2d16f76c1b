#!/usr/bin/env node
// What the page's analytics relay (POSTHOG_PROXY_PATH) adds to a capture: the
// same posthog-js request (a gzip-js $pageview, as the page sends it) sent
// straight to the project's capture sink, and through the server's relay to
// that sink, alternately, one at a time over kept-alive connections; p50 and
// p99 of each and of the difference.
//
//   node bench/relay-latency.mjs PROJECT_DIR... [--requests 3000] [--warmup 300]
//
// Each PROJECT_DIR is a generated project with the page, `npm install`ed
// (copier copy --trust --defaults --data framework=fastify . /tmp/p-fastify).
// The sink (`npm run posthog:inspect`) and the server run in processes of
// their own, so that both paths cross processes as they would cross machines;
// the server with an in-memory SQLite database. Needs Node 22.22+. On a shared
// machine p99 mostly measures how long the OS takes to wake a process: the
// relay path has two more hops than the direct one.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const { values: options, positionals: projects } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string', default: '3000' }, warmup: { type: 'string', default: '300' } },
});
if (projects.length === 0) {
  console.error('usage: node bench/relay-latency.mjs PROJECT_DIR... [--requests N] [--warmup N]');
  process.exit(2);
}
const REQUESTS = Number(options.requests);
const WARMUP = Number(options.warmup);
const TOKEN = 'phc_relay_bench';

// A $pageview as posthog-js 1.x sends it (its usual properties), gzip-compressed.
function pageview(i) {
  return gzipSync(
    JSON.stringify({
      uuid: `0190b2c4-0000-7000-8000-${String(i).padStart(12, '0')}`,
      event: '$pageview',
      properties: {
        $os: 'Linux',
        $browser: 'Chrome',
        $device_type: 'Desktop',
        $current_url: 'http://localhost:3000/',
        $host: 'localhost:3000',
        $pathname: '/',
        $browser_version: 131,
        $screen_height: 1080,
        $screen_width: 1920,
        $viewport_height: 960,
        $viewport_width: 1920,
        $lib: 'web',
        $lib_version: '1.449.2',
        $insert_id: Math.random().toString(36).slice(2),
        $time: Date.now() / 1000,
        distinct_id: '0190b2c4-1111-7000-8000-000000000000',
        $device_id: '0190b2c4-1111-7000-8000-000000000000',
        $session_id: '0190b2c4-2222-7000-8000-000000000000',
        $window_id: '0190b2c4-3333-7000-8000-000000000000',
        $referrer: '$direct',
        $referring_domain: '$direct',
        token: TOKEN,
        $process_person_profile: false,
        title: 'posthog-node-app',
      },
      timestamp: new Date().toISOString(),
    }),
  );
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One POST; resolves with its duration in ms once the whole answer is read. */
function post(url, body) {
  return new Promise((resolveTime, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'text/plain', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
          else resolveTime(Number(process.hrtime.bigint() - started) / 1e6);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function startServer(dir, sinkUrl) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  // npm start's own command, without .env: the bench sets what it needs.
  const [node, ...args] = pkg.scripts.start.split(' ').filter((arg) => !arg.startsWith('--env-file'));
  const child = spawn(node === 'node' ? process.execPath : node, args, {
    cwd: dir,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      POSTHOG_HOST: sinkUrl,
      POSTHOG_PROJECT_TOKEN: TOKEN,
      DATABASE_URL: ':memory:',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolveUrl(match[1].replace('localhost', '127.0.0.1').replace(/\/$/, ''));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)));
  });
  child.stdout.resume();
  return { url, relay: pkg.config.posthogProxyPath, stop: () => child.kill('SIGTERM') };
}

/** The project's capture sink in its own process, printing (to a pipe that is drained) each event. */
async function startSink(dir) {
  const script = existsSync(join(dir, 'scripts/capture-sink.js')) ? 'scripts/capture-sink.js' : 'scripts/capture-sink.ts';
  const child = spawn(process.execPath, [script, '--port', '0', '--json'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.resume();
  const url = await new Promise((resolveUrl, reject) => {
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(err);
      if (match) resolveUrl(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`sink exited (${code}):\n${err}`)));
  });
  child.stderr.resume();
  return { url, close: () => child.kill('SIGTERM') };
}

async function measure(dir) {
  const sink = await startSink(dir);
  const server = await startServer(dir, sink.url);
  if (!server.relay) throw new Error(`${dir}: no relay (a project without the page?)`);
  const query = '/e/?ip=0&ver=1.449.2&compression=gzip-js';
  const direct = `${sink.url}${query}`;
  const relayed = `${server.url}${server.relay}${query}`;
  const times = { direct: [], relay: [] };
  try {
    for (let i = 0; i < WARMUP + REQUESTS; i += 1) {
      const body = pageview(i);
      // Alternating which goes first cancels any drift between the two.
      const order = i % 2 ? ['direct', 'relay'] : ['relay', 'direct'];
      for (const which of order) {
        const ms = await post(which === 'direct' ? direct : relayed, body);
        if (i >= WARMUP) times[which].push(ms);
      }
    }
  } finally {
    server.stop();
    sink.close();
  }
  return { times };
}

function frameworkOf(dir) {
  return /^framework: (\w+)$/m.exec(readFileSync(join(dir, '.copier-answers.yml'), 'utf8'))?.[1] ?? dir;
}

console.log(`Relay latency: ${REQUESTS} captures each way (after ${WARMUP} warm-up), one at a time, Node ${process.version}\n`);
console.log('| framework | direct p50 | relay p50 | added p50 | direct p99 | relay p99 | added p99 |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const dir of projects.map((project) => resolve(project))) {
  const { times } = await measure(dir);
  const d = times.direct.sort((a, b) => a - b);
  const r = times.relay.sort((a, b) => a - b);
  const f = (ms) => `${ms.toFixed(2)} ms`;
  const [d50, r50, d99, r99] = [percentile(d, 50), percentile(r, 50), percentile(d, 99), percentile(r, 99)];
  console.log(`| ${frameworkOf(dir)} | ${f(d50)} | ${f(r50)} | ${f(r50 - d50)} | ${f(d99)} | ${f(r99)} | ${f(r99 - d99)} |`);
}
agent.destroy();
