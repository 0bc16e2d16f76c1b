#!/usr/bin/env node
// The template's benchmark: what PostHog costs a generated server, and what
// PostHog's outages do to it. For each framework and each database (SQLite and
// PostgreSQL) it renders a project with Copier, installs it, and on this
// machine, in one run:
//
//   overhead   load on POST /api/todos and GET /api/todos, PostHog enabled
//              (against the local capture sink) vs. disabled (no token),
//              alternating the two, a fresh server and database per phase;
//              and both at once; with the CPU PostHog adds per request in µs;
//   bare       posthog-node alone capturing the same event on the same core,
//              in the same run: in a loop (its best case, batches of hundreds)
//              and in batches the size the enabled server sent under load;
//              what the template adds is the server's cost less the latter;
//   zero loss  N todos created under load, SIGTERM, then count todo_added at
//              the sink; and the same with the SIGTERM in the middle of the load;
//   outages    the sink refusing connections, answering 500, stalling; p99 vs.
//              a healthy phase, resident memory, crashes, and how many events
//              arrive once the sink recovers;
//   flags      GET /api/stats at a fixed request rate, remote evaluation (a
//              /flags request per call, the sink answering after --flags-delay
//              ms) vs. local evaluation (POSTHOG_SECRET_KEY), both at once.
//
// PostgreSQL is a throwaway cluster from the Debian binaries (as in
// tests/postgres.py), one database per server; without the binaries its rows
// are skipped with the reason. Load comes from autocannon (installed into the
// work directory). With two or more CPUs the server runs on CPU 0 and
// everything else (autocannon, the sink, PostgreSQL, this driver) on CPU 1.
// The machine may be shared: phases disturbed by other processes are re-run
// (see --budget); the report says how many were. Needs Node 22.22+ (the
// generated projects do); from an older node it re-runs itself under Node 24
// through `npm exec --package node@24`.
//
//   node bench/bench.mjs [--frameworks express,fastify,koa] [--databases sqlite,postgres]
//                        [--duration 8] [--outage-duration 10] [--stall 10] [--rounds 2]
//                        [--paired-rounds 4] [--connections 50] [--flags-delay 30] [--stats-rate 200]
//                        [--only overhead,bare,zero-loss,outages,flags]
//                        [--quick] [--write docs/benchmarks.md] [--cpu-prof DIR]
//
// --quick: a smoke run of every part (fastify only, short phases, one round);
// explicit options still win. `make bench` runs the defaults and writes
// docs/benchmarks.md. --cpu-prof DIR: each server writes a V8 CPU profile
// there when it stops (profiling slows it: figures of such a run are not
// measurements).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, freemem, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

// Generated projects need Node 22.22+ (node:sqlite among others), and the
// servers run on this process's own node: bring Node 24 when this one is older.
{
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 22)) {
    if (process.env.BENCH_NODE_REEXEC) {
      console.error(`bench: npm exec --package node@24 ran Node ${process.version}; the benchmark needs 22.22+`);
      process.exit(1);
    }
    console.error(`[bench] Node ${process.version} is older than the generated projects need (22.22+): running under Node 24 through npm exec --package node@24`);
    const cache = process.env.npm_config_cache || join(fileURLToPath(new URL('..', import.meta.url)), '.cache', 'npm');
    const child = spawnSync('npm', ['exec', '--yes', '--package', 'node@24', '--', 'node', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_NODE_REEXEC: '1', npm_config_cache: cache, npm_config_update_notifier: 'false' },
    });
    process.exit(child.status ?? 1);
  }
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(BENCH_DIR, '..');

const { values: given } = parseArgs({
  options: {
    frameworks: { type: 'string' },
    databases: { type: 'string' },
    duration: { type: 'string' }, // seconds per overhead phase
    'outage-duration': { type: 'string' }, // seconds per outage phase (the stall lasts --stall)
    warmup: { type: 'string' }, // seconds of unmeasured load before each phase
    connections: { type: 'string' },
    rounds: { type: 'string' }, // enabled/disabled pairs per route, one after the other
    'paired-rounds': { type: 'string' }, // enabled and disabled at the same time
    'zero-loss-requests': { type: 'string' },
    stall: { type: 'string' }, // seconds the sink stalls
    'bare-events': { type: 'string' }, // events per bare posthog-node loop
    'bare-rounds': { type: 'string' },
    'flags-delay': { type: 'string' }, // ms the sink waits before answering /flags (the round trip to PostHog)
    'stats-rate': { type: 'string' }, // GET /api/stats requests per second, per server
    'flags-duration': { type: 'string' }, // seconds of the flags phase
    // Minutes after which a busy machine no longer delays the run (no more waiting or re-running).
    budget: { type: 'string' },
    quick: { type: 'boolean', default: false },
    write: { type: 'string' }, // markdown file to (re)write with the results
    workdir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false }, // with --workdir: keep projects already rendered there
    copier: { type: 'string', default: process.env.COPIER ?? '' },
    // For working on the benchmark itself: run only some parts or routes.
    only: { type: 'string' },
    routes: { type: 'string', default: 'POST /api/todos,GET /api/todos' },
    // Write a V8 CPU profile of every server into this directory (node --cpu-prof), named
    // after the framework, database and whether PostHog is on: for profiling, not measuring.
    'cpu-prof': { type: 'string' },
    // Print (and --write) the report of an earlier run from its JSON (.cache/bench-results.json).
    'report-only': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (given.help) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.log(text.slice(1, text.findIndex((line) => line.startsWith('import '))).join('\n').replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}

const DEFAULTS = {
  frameworks: 'express,fastify,koa',
  databases: 'sqlite,postgres',
  duration: '8',
  'outage-duration': '10',
  warmup: '2',
  connections: '50',
  rounds: '2',
  'paired-rounds': '4',
  'zero-loss-requests': '20000',
  stall: '10',
  'bare-events': '20000',
  'bare-rounds': '3',
  'flags-delay': '30',
  'stats-rate': '200',
  'flags-duration': '10',
  budget: '30',
  only: 'overhead,bare,zero-loss,outages,flags',
};
// A smoke run: every part once, briefly, on one framework (a few minutes).
const QUICK = {
  frameworks: 'fastify',
  duration: '3',
  'outage-duration': '3',
  warmup: '1',
  rounds: '1',
  'paired-rounds': '1',
  'zero-loss-requests': '2000',
  stall: '3',
  'bare-events': '5000',
  'bare-rounds': '1',
  'flags-duration': '4',
  budget: '0',
};
const opts = { ...DEFAULTS, ...(given.quick ? QUICK : {}), ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) };

const list = (value) => value.split(',').map((name) => name.trim()).filter(Boolean);
const FRAMEWORKS = list(opts.frameworks);
const DATABASES = list(opts.databases);
const PARTS = new Set(list(opts.only));
const DURATION = Number(opts.duration);
const OUTAGE_DURATION = Number(opts['outage-duration']);
const WARMUP = Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);
const ROUNDS = Number(opts.rounds);
const PAIRED_ROUNDS = Number(opts['paired-rounds']);
const ZERO_LOSS_REQUESTS = Number(opts['zero-loss-requests']);
const STALL_SECONDS = Number(opts.stall);
const BARE_EVENTS = Number(opts['bare-events']);
const BARE_ROUNDS = Number(opts['bare-rounds']);
const FLAGS_DELAY_MS = Number(opts['flags-delay']);
const STATS_RATE = Number(opts['stats-rate']);
const FLAGS_DURATION = Number(opts['flags-duration']);
const PINNED = cpus().length >= 2 && hasTaskset();
const SERVER_CPU = '0';
const LOAD_CPU = '1';
// How long to wait for events still on their way (the SDK retries a failed
// batch 3 times, 3 s apart, and flushes every 5 s).
const SETTLE_QUIET_MS = 7_000;
const SETTLE_MAX_MS = 40_000;

const log = (...parts) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...parts);

function hasTaskset() {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function pinned(cpu, command, args) {
  return PINNED ? ['taskset', ['-c', cpu, command, ...args]] : [command, args];
}

function run(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...options });
}

// ---------------------------------------------------------------------------
// Other work on the machine. A shared machine (CI, other jobs) steals CPU from
// a phase; count it, from /proc, as the busy time of everything that is not
// ours, and re-run a phase that was disturbed.

const CLOCK_TICKS = 100; // USER_HZ: the unit of /proc/stat and /proc/PID/stat
const MAX_FOREIGN_CORES = Number(process.env.BENCH_MAX_FOREIGN_CORES ?? 0.15);
const ATTEMPTS = 3;
const ourPids = new Set();
const patienceEnds = performance.now() + Number(opts.budget) * 60_000;
const patient = () => performance.now() < patienceEnds;

function systemTicks() {
  const [, user, nice, system, , , , , steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return { busy: user + nice + system, steal, at: performance.now() };
}

function processTicks(pid, { children = false } = {}) {
  try {
    // Fields after the command name (which may hold spaces): utime is the 14th field overall.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
    return utime + stime + (children ? cutime + cstime : 0);
  } catch {
    return 0;
  }
}

// Process trees counted whole: PostgreSQL's postmaster and its backends.
const ourTrees = new Set();

function childrenOf(parents) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (parents.has(ppid)) found.push(Number(entry));
    } catch {}
  }
  return found;
}

function ourTicks() {
  let total = processTicks(process.pid, { children: true }); // reaped children: autocannon
  for (const pid of ourPids) total += processTicks(pid);
  if (ourTrees.size) {
    // Backends that have exited are in the postmaster's reaped-children time.
    for (const pid of ourTrees) total += processTicks(pid, { children: true });
    for (const pid of childrenOf(ourTrees)) total += processTicks(pid);
  }
  return total;
}

/** Starts counting; the returned function gives {foreign, steal}: other work in CPU cores, steal in %. */
function watchCpu() {
  const start = { ...systemTicks(), ours: ourTicks() };
  return () => {
    const end = { ...systemTicks(), ours: ourTicks() };
    const ticks = ((end.at - start.at) / 1000) * CLOCK_TICKS;
    const foreign = Math.max(0, end.busy - start.busy - (end.ours - start.ours)) / ticks;
    const steal = (100 * (end.steal - start.steal)) / (ticks * cpus().length);
    return { foreign, steal };
  };
}

/** Waits (up to a minute) until other work on the machine stays under the threshold for a second. */
async function waitForQuiet() {
  const deadline = Math.min(performance.now() + 60_000, patienceEnds);
  for (;;) {
    const done = watchCpu();
    await sleep(1000);
    const { foreign } = done();
    if (foreign <= MAX_FOREIGN_CORES) return foreign;
    if (performance.now() > deadline) {
      log(`  machine still busy (${foreign.toFixed(2)} cores of other work): going on`);
      return foreign;
    }
    await sleep(2000);
  }
}

// ---------------------------------------------------------------------------
// Setup: tools, projects

function findCopier() {
  if (opts.copier) return opts.copier;
  const venv = join(REPO, '.venv', 'bin', 'copier');
  return existsSync(venv) ? venv : 'copier';
}

function npmEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(POSTHOG_|PORT$|HOST$|NODE_ENV$|DATABASE_URL$)/.test(name)));
  // The caller's cache when it has one (a shared one is faster), else the repository's.
  const cache = process.env.npm_config_cache || join(REPO, '.cache', 'npm');
  mkdirSync(cache, { recursive: true });
  return {
    ...env,
    npm_config_cache: cache,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}

function setup(workdir, databases) {
  const tools = join(workdir, 'tools');
  mkdirSync(tools, { recursive: true });
  copyFileSync(join(BENCH_DIR, 'package.json'), join(tools, 'package.json'));
  log('installing autocannon');
  run('npm', ['install', '--no-audit', '--no-fund'], { cwd: tools, env: npmEnv() });

  const settings = join(workdir, 'copier-settings.yml');
  writeFileSync(settings, '{}\n');
  const copier = findCopier();
  const projects = {};
  for (const framework of FRAMEWORKS) {
    for (const database of databases) {
      const name = `${framework}-${database}`;
      const dir = join(workdir, name);
      if (!(opts.reuse && existsSync(join(dir, 'node_modules')))) {
        log(`rendering and installing the ${framework} project with ${database}`);
        rmSync(dir, { recursive: true, force: true });
        // --vcs-ref HEAD renders the working tree, uncommitted changes included.
        run(copier, ['copy', '--trust', '--defaults', '--quiet', '--vcs-ref', 'HEAD',
          '--data', `framework=${framework}`, '--data', `database=${database}`, '--data', `project_name=bench-${name}`, REPO, dir],
        { env: { ...process.env, COPIER_SETTINGS_PATH: settings } });
        run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env: npmEnv() });
      }
      // Into the project, so that it imports that project's posthog-node.
      copyFileSync(join(BENCH_DIR, 'bare-capture.mjs'), join(dir, 'bench-bare-capture.mjs'));
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
      const version = (pkg) => lock.packages[`node_modules/${pkg}`]?.version;
      projects[`${framework}/${database}`] = {
        dir,
        framework,
        database,
        versions: { [framework]: version(framework), 'posthog-node': version('posthog-node'), ...(database === 'postgres' ? { pg: version('pg') } : {}) },
      };
    }
  }
  return { autocannon: join(tools, 'node_modules', 'autocannon', 'autocannon.js'), projects };
}

// ---------------------------------------------------------------------------
// Databases: every server gets its own, so that servers running at once never
// share one and each phase starts empty.

function freePort() {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((version) => existsSync(join(root, version, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b))
    : [];
  if (versions.length) return join(root, versions.at(-1), 'bin');
  try {
    return resolve(run('sh', ['-c', 'command -v initdb']).trim(), '..');
  } catch {
    return null;
  }
}

/**
 * A throwaway PostgreSQL cluster, as tests/postgres.py starts one: a temporary
 * directory, a free port, a superuser with a password (scram-sha-256), run as
 * the `postgres` user when we are root. Returns {skipped: reason} when it
 * cannot. synchronous_commit=off matches the SQLite store's WAL with
 * synchronous=NORMAL: a commit does not wait for the disk, so the rows do not
 * measure this machine's disk.
 */
async function startPostgres() {
  const bin = postgresBinDir();
  if (!bin) return { skipped: "PostgreSQL server binaries (initdb, postgres) not found: install Debian's `postgresql` package" };
  let asServerUser = (command, args) => [command, args];
  if (process.getuid?.() === 0) {
    try {
      run('id', ['-u', 'postgres']);
    } catch {
      return { skipped: 'running as root and there is no `postgres` user to run PostgreSQL as' };
    }
    asServerUser = (command, args) => ['runuser', ['-u', 'postgres', '--', command, ...args]];
  }
  const password = 'posthog-bench';
  const root = mkdtempSync(join(tmpdir(), 'posthog-bench-postgres-'));
  chmodSync(root, 0o777);
  const data = join(root, 'data');
  writeFileSync(join(root, 'password'), `${password}\n`, { mode: 0o644 });
  const port = await freePort();
  const tidy = () => rmSync(root, { recursive: true, force: true });
  try {
    run(...asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-E', 'UTF8', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${join(root, 'password')}`]));
  } catch (error) {
    tidy();
    return { skipped: `initdb failed: ${String(error.stderr || error.message).trim().split('\n').at(-1)}` };
  }
  const [command, args] = pinned(LOAD_CPU, ...asServerUser(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'synchronous_commit=off',
  ]));
  const server = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverLog = '';
  server.stderr.setEncoding('utf8').on('data', (chunk) => (serverLog = (serverLog + chunk).slice(-5000)));
  const env = { ...process.env, PGPASSWORD: password };
  const connection = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'];
  const stop = async () => {
    ourTrees.clear();
    try {
      run(...asServerUser(join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w']));
    } catch {}
    if (server.exitCode === null) {
      const exited = new Promise((done) => server.once('exit', done));
      const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    tidy();
  };
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).status === 0) break;
    if (server.exitCode !== null || performance.now() > deadline) {
      await stop();
      return { skipped: `PostgreSQL did not start: ${serverLog.trim().split('\n').at(-1)}` };
    }
    await sleep(200);
  }
  const version = run(join(bin, 'postgres'), ['--version']).trim();
  // Its CPU is ours, not "other work": the postmaster (the first line of its pid file) and its backends.
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  ourTrees.add(postmaster);
  let next = 0;
  return {
    version,
    stop,
    /** A new, empty database: its URL and a function that drops it. */
    create() {
      const name = `bench_${(next += 1)}`;
      run(join(bin, 'createdb'), [...connection, name], { env });
      return {
        url: `postgres://postgres:${password}@127.0.0.1:${port}/${name}`,
        drop: () => {
          try {
            run(join(bin, 'dropdb'), [...connection, '--if-exists', '--force', name], { env });
          } catch {}
        },
      };
    },
  };
}

function sqliteDatabases(workdir) {
  const dir = join(workdir, 'sqlite');
  mkdirSync(dir, { recursive: true });
  let next = 0;
  return {
    version: 'node:sqlite',
    create() {
      const file = join(dir, `bench-${(next += 1)}.db`);
      return { url: file, drop: () => ['', '-wal', '-shm'].forEach((suffix) => rmSync(file + suffix, { force: true })) };
    },
  };
}

// ---------------------------------------------------------------------------
// Processes: the sink, the server, autocannon

/** options: {flags, secretKey, flagsDelayMs} (see sink.mjs). */
async function startSink(projectDir, options = {}) {
  const [command, args] = pinned(LOAD_CPU, process.execPath, [join(BENCH_DIR, 'sink.mjs'), join(projectDir, 'scripts', 'capture-sink.js'), JSON.stringify(options)]);
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  ourPids.add(child.pid);
  child.once('exit', () => ourPids.delete(child.pid));
  const ready = await new Promise((resolveReady, reject) => {
    child.once('message', resolveReady);
    child.once('exit', (code) => reject(new Error(`capture sink exited (${code}) before it was ready`)));
  });
  let nextId = 0;
  const pending = new Map();
  child.on('message', ({ id, ok, error, ...result }) => {
    const waiter = pending.get(id);
    if (!waiter) return;
    pending.delete(id);
    if (ok) waiter.resolve(result);
    else waiter.reject(new Error(error));
  });
  const call = (message) =>
    new Promise((resolveCall, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolveCall, reject });
      child.send({ id, ...message });
    });
  return {
    url: ready.url,
    setMode: (mode) => call({ op: 'mode', mode }),
    reset: () => call({ op: 'reset' }),
    counts: async () => (await call({ op: 'counts' })).counts,
    close: () => {
      child.disconnect();
      return new Promise((done) => (child.exitCode !== null ? done() : child.once('exit', done)));
    },
  };
}

function serverEnv({ sink, enabled, databaseUrl, secretKey }) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(POSTHOG_|PORT$|HOST$|NODE_ENV$|NODE_OPTIONS$|DATABASE_URL$)/.test(name)));
  // No line per request: the same with PostHog on or off, and not what is measured.
  Object.assign(env, { PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl });
  if (enabled) Object.assign(env, { POSTHOG_PROJECT_TOKEN: 'phc_benchmark_token', POSTHOG_HOST: sink.url });
  if (enabled && secretKey) env.POSTHOG_SECRET_KEY = secretKey;
  return env;
}

/** A server of `project` on a new, empty database of its own (dropped when it exits). */
async function startServer(project, { sink, enabled, secretKey }) {
  const database = project.databases.create();
  const profile = given['cpu-prof']
    ? ['--cpu-prof', `--cpu-prof-dir=${resolve(given['cpu-prof'])}`, `--cpu-prof-name=${project.framework}-${project.database}-${enabled ? 'on' : 'off'}-${Date.now()}.cpuprofile`]
    : [];
  const [command, args] = pinned(SERVER_CPU, process.execPath, [...profile, 'src/server.js']);
  const child = spawn(command, args, { cwd: project.dir, env: serverEnv({ sink, enabled, databaseUrl: database.url, secretKey }), stdio: ['ignore', 'pipe', 'pipe'] });
  ourPids.add(child.pid);
  const output = { stdout: '', stderr: '' };
  const keep = (name) => (chunk) => {
    // Enough to explain a crash without holding a long run's logs.
    output[name] = (output[name] + chunk).slice(-20_000);
  };
  child.stdout.setEncoding('utf8').on('data', keep('stdout'));
  child.stderr.setEncoding('utf8').on('data', keep('stderr'));
  let exit;
  const exited = new Promise((done) =>
    child.once('exit', (code, signal) => {
      ourPids.delete(child.pid);
      exit = { code, signal, at: performance.now() };
      database.drop();
      done(exit);
    }),
  );

  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output.stdout}\n${output.stderr}`)), 15_000);
    const onData = () => {
      // Inside a JSON line's "msg" (NODE_ENV=production).
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output.stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolveUrl(match[1]);
    };
    child.stdout.on('data', onData);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening:\n${output.stdout}\n${output.stderr}`));
    });
  });

  async function request(method, path, { json, token } = {}) {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(new URL(path, url), { method, headers, body: json === undefined ? undefined : JSON.stringify(json), signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  return {
    url,
    pid: child.pid,
    output,
    request,
    get crashed() {
      return exit !== undefined;
    },
    exit: () => exit,
    /** Resident set size in MB, from /proc (the real server process, not taskset's). */
    rssMb() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
      } catch {
        return NaN;
      }
    },
    async signup() {
      const res = await request('POST', '/api/auth/signup', {
        json: { email: `bench-${process.hrtime.bigint()}@example.com`, password: 'benchmark-password' },
      });
      if (res.status !== 201) throw new Error(`signup answered ${res.status}`);
      return res.body.token;
    },
    /** Sends SIGTERM; resolves with the exit code and the time from signal to exit. */
    async stop(timeoutMs = 60_000) {
      if (exit) return { code: exit.code, signal: exit.signal, ms: 0, alreadyExited: true };
      const sent = performance.now();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return { code: result.code, signal: result.signal, ms: result.at - sent };
    },
    kill() {
      // A profile is written only when the process exits by itself.
      if (profile.length) return this.stop();
      if (!exit) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The user's todos, page by page (GET /api/todos answers 50 at a time unless asked for up to 100). */
async function countTodos(server, token) {
  let count = 0;
  let cursor = null;
  do {
    const query = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
    const page = await server.request('GET', `/api/todos${query}`, { token });
    if (page.status !== 200) throw new Error(`GET /api/todos answered ${page.status}`);
    count += page.body.todos.length;
    cursor = page.body.nextCursor;
  } while (cursor);
  return count;
}

/** One autocannon run; resolves with its JSON summary. */
function load(autocannon, { url, method = 'GET', token, body, duration, amount, rate, connections = CONNECTIONS, serverPid }) {
  const cli = ['--json', '-n', '-c', String(connections), '-m', method, '-t', '30'];
  if (rate) cli.push('-R', String(rate)); // requests per second over all connections
  if (amount) cli.push('-a', String(amount));
  else cli.push('-d', String(duration));
  if (token) cli.push('-H', `authorization=Bearer ${token}`);
  if (body !== undefined) cli.push('-H', 'content-type=application/json', '-b', JSON.stringify(body));
  cli.push(url);
  const [command, args] = pinned(LOAD_CPU, process.execPath, [autocannon, ...cli]);
  const cpu = watchCpu();
  const serverTicks = serverPid ? processTicks(serverPid) : 0;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  ourPids.add(child.pid); // another load running at the same time is ours too
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  return new Promise((done, reject) => {
    child.once('exit', (code) => {
      ourPids.delete(child.pid);
      try {
        const result = JSON.parse(stdout);
        done({
          rps: result.requests.total / (result.duration || 1),
          p50: result.latency.p50,
          p99: result.latency.p99,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes: result.statusCodeStats,
          duration: result.duration,
          // The server's CPU time per request, in µs: what the work costs, whatever else the machine does.
          total: result.requests.total,
          cpuUs: serverPid ? ((processTicks(serverPid) - serverTicks) * (1e6 / CLOCK_TICKS)) / Math.max(1, result.requests.total) : NaN,
          ...cpu(),
        });
      } catch (error) {
        reject(new Error(`autocannon failed (${code}): ${error.message}\n${stderr}`));
      }
    });
  });
}

const todoBody = { title: 'Benchmark todo: buy milk' };

// ---------------------------------------------------------------------------
// Measurements

const ROUTES = {
  'POST /api/todos': { method: 'POST', path: '/api/todos', body: todoBody },
  'GET /api/todos': { method: 'GET', path: '/api/todos', prepare: 20 },
};

async function overheadPhase(tools, project, sink, routeName, enabled) {
  const route = ROUTES[routeName];
  const server = await startServer(project, { sink, enabled });
  try {
    const token = await server.signup();
    for (let i = 0; i < (route.prepare ?? 0); i += 1) {
      await server.request('POST', '/api/todos', { json: todoBody, token });
    }
    const target = { url: new URL(route.path, server.url).href, method: route.method, token, body: route.body, serverPid: server.pid };
    if (WARMUP > 0) await load(tools.autocannon, { ...target, duration: WARMUP });
    const result = await load(tools.autocannon, { ...target, duration: DURATION });
    result.crashed = server.crashed;
    if (result.crashed || result.errors || result.non2xx) {
      const health = await server.request('GET', '/health').then((res) => res.status, (error) => error.message);
      log(`  !! ${routeName} PostHog ${enabled ? 'on' : 'off'}: crashed ${result.crashed} ${JSON.stringify(server.exit())}, errors ${result.errors}, non-2xx ${result.non2xx} ${JSON.stringify(result.statusCodes)}, /health ${health}\n${server.output.stderr.slice(-3000)}`);
    }
    return result;
  } finally {
    await server.kill();
  }
}

/**
 * Runs a phase until one is undisturbed by other work on the machine (at most
 * ATTEMPTS times) and returns the least disturbed attempt, with the count.
 */
async function undisturbed(label, runPhase) {
  let best;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    await waitForQuiet();
    const result = await runPhase();
    result.attempts = attempt;
    if (!best || result.foreign < best.foreign) best = result;
    if (result.foreign <= MAX_FOREIGN_CORES) break;
    const again = attempt < ATTEMPTS && patient();
    log(`  ${label}: ${result.foreign.toFixed(2)} cores of other work during the phase, ${again ? 'running it again' : 'keeping the least disturbed attempt'}`);
    if (!again) break;
  }
  best.attempts = Math.max(best.attempts, 1);
  return best;
}

/**
 * The enabled and the disabled server at the same time, both on the server's
 * core, each under its own autocannon: whatever the machine does during the
 * phase (a slower virtual CPU, a neighbour's job) happens to both alike. The
 * core is shared, so what counts is each server's CPU time per request.
 */
async function pairedPhase(tools, project, sink, routeName) {
  const route = ROUTES[routeName];
  const servers = {};
  try {
    servers.on = await startServer(project, { sink, enabled: true });
    servers.off = await startServer(project, { sink, enabled: false });
    const targets = {};
    for (const [mode, server] of Object.entries(servers)) {
      const token = await server.signup();
      for (let i = 0; i < (route.prepare ?? 0); i += 1) await server.request('POST', '/api/todos', { json: todoBody, token });
      targets[mode] = { url: new URL(route.path, server.url).href, method: route.method, token, body: route.body, serverPid: server.pid };
    }
    if (WARMUP > 0) await Promise.all([load(tools.autocannon, { ...targets.on, duration: WARMUP }), load(tools.autocannon, { ...targets.off, duration: WARMUP })]);
    await sink.reset();
    const [on, off] = await Promise.all([load(tools.autocannon, { ...targets.on, duration: DURATION }), load(tools.autocannon, { ...targets.off, duration: DURATION })]);
    // How the SDK batched the enabled server's events (only it sends): the bare loop is measured at that size.
    const sent = await sink.counts();
    on.events = sent.events;
    on.batches = sent.requests['/batch'] ?? 0;
    on.crashed = servers.on.crashed;
    off.crashed = servers.off.crashed;
    return { on, off, foreign: Math.max(on.foreign, off.foreign), steal: Math.max(on.steal, off.steal) };
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.kill()));
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function measureOverhead(tools, project, sink) {
  const routes = {};
  for (const routeName of opts.routes.split(',').map((name) => name.trim())) {
    if (!ROUTES[routeName]) throw new Error(`unknown route ${routeName}; use ${Object.keys(ROUTES).join(', ')}`);
    const rounds = [];
    // on/off, then off/on, ...: the two alternate, so drift hits both alike.
    // Each round is one enabled and one disabled phase run back to back.
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      const pair = {};
      for (const mode of order) {
        const label = `${routeName} PostHog ${mode}`;
        const result = await undisturbed(label, () => overheadPhase(tools, project, sink, routeName, mode === 'on'));
        log(`  ${label}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, server CPU ${result.cpuUs.toFixed(0)} µs/request, non-2xx ${result.non2xx}, errors ${result.errors}, other work ${result.foreign.toFixed(2)} cores, steal ${result.steal.toFixed(1)} %`);
        pair[mode] = result;
      }
      rounds.push(pair);
    }
    // Medians: one disturbed phase does not move them.
    const summary = (mode) => ({
      rps: median(rounds.map((r) => r[mode].rps)),
      p50: median(rounds.map((r) => r[mode].p50)),
      p99: median(rounds.map((r) => r[mode].p99)),
      cpuUs: median(rounds.map((r) => r[mode].cpuUs)),
      failed: rounds.reduce((sum, r) => sum + r[mode].non2xx + r[mode].errors, 0),
      crashed: rounds.some((r) => r[mode].crashed),
      foreign: Math.max(...rounds.map((r) => r[mode].foreign)),
    });
    const ratios = (key) => rounds.map((r) => r.on[key] / r.off[key]);

    const paired = [];
    for (let round = 0; round < PAIRED_ROUNDS; round += 1) {
      const label = `${routeName} enabled and disabled at once`;
      const result = await undisturbed(label, () => pairedPhase(tools, project, sink, routeName));
      log(`  ${label}: ${result.on.rps.toFixed(0)} vs ${result.off.rps.toFixed(0)} req/s, server CPU ${result.on.cpuUs.toFixed(0)} vs ${result.off.cpuUs.toFixed(0)} µs/request, p99 ${result.on.p99} vs ${result.off.p99} ms, ${result.on.events} events in ${result.on.batches} batches, failed ${result.on.non2xx + result.on.errors + result.off.non2xx + result.off.errors}, other work ${result.foreign.toFixed(2)} cores`);
      paired.push(result);
    }

    routes[routeName] = {
      paired: paired.length === 0 ? undefined : {
        onRps: median(paired.map((r) => r.on.rps)),
        offRps: median(paired.map((r) => r.off.rps)),
        onCpuUs: median(paired.map((r) => r.on.cpuUs)),
        offCpuUs: median(paired.map((r) => r.off.cpuUs)),
        // What one saturated core serves enabled vs. disabled: the inverse ratio of CPU per request.
        ratio: median(paired.map((r) => r.off.cpuUs / r.on.cpuUs)),
        roundRatios: paired.map((r) => r.off.cpuUs / r.on.cpuUs),
        // Events per batch the enabled server sent (POST: one event per request).
        eventsPerBatch: median(paired.map((r) => r.on.events / Math.max(1, r.on.batches))),
        failed: paired.reduce((sum, r) => sum + r.on.non2xx + r.on.errors + r.off.non2xx + r.off.errors, 0),
        crashed: paired.some((r) => r.on.crashed || r.off.crashed),
        rounds: paired.map((r) => ({ foreign: r.foreign, steal: r.steal, attempts: r.attempts, on: { rps: r.on.rps, cpuUs: r.on.cpuUs, p50: r.on.p50, p99: r.on.p99, events: r.on.events, batches: r.on.batches }, off: { rps: r.off.rps, cpuUs: r.off.cpuUs, p50: r.off.p50, p99: r.off.p99 } })),
      },

      on: summary('on'),
      off: summary('off'),
      // The median of the rounds' own ratios, each taken between neighbouring phases.
      ratio: { rps: median(ratios('rps')), p50: median(ratios('p50')), p99: median(ratios('p99')), cpuUs: median(ratios('cpuUs')) },
      roundRatios: ratios('rps'),
      rounds: rounds.map((r) => Object.fromEntries(Object.entries(r).map(([mode, x]) => [mode, { rps: x.rps, p50: x.p50, p99: x.p99, cpuUs: x.cpuUs, foreign: x.foreign, steal: x.steal, attempts: x.attempts }]))),
    };
  }
  return routes;
}

/** Waits until the sink's count of `name` reaches `expected` or stops moving. */
async function settle(sink, name, expected) {
  const started = performance.now();
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const count = (await sink.counts()).byName[name] ?? 0;
    if (count >= expected) return count;
    if (count !== last) {
      last = count;
      lastChange = performance.now();
    }
    if (performance.now() - lastChange > SETTLE_QUIET_MS || performance.now() - started > SETTLE_MAX_MS) return count;
    await sleep(250);
  }
}

async function measureZeroLoss(tools, project, sink) {
  const results = {};
  await waitForQuiet();

  // N requests, then SIGTERM as soon as the last response is in.
  {
    await sink.setMode('ok');
    await sink.reset();
    const server = await startServer(project, { sink, enabled: true });
    try {
      const token = await server.signup();
      const result = await load(tools.autocannon, { url: new URL('/api/todos', server.url).href, method: 'POST', token, body: todoBody, amount: ZERO_LOSS_REQUESTS });
      const stopped = await server.stop();
      const arrived = (await sink.counts()).byName.todo_added ?? 0;
      results.afterLoad = { created: result.ok, non2xx: result.non2xx + result.errors, arrived, lost: result.ok - arrived, shutdownMs: stopped.ms, exitCode: stopped.code };
      log(`  zero loss, SIGTERM after ${result.ok} todos: ${arrived} todo_added at the sink, shutdown ${stopped.ms.toFixed(0)} ms, exit ${stopped.code}`);
    } finally {
      await server.kill();
    }
  }

  // SIGTERM in the middle of the load: every todo the clients saw created must arrive.
  {
    await sink.reset();
    const server = await startServer(project, { sink, enabled: true });
    try {
      const token = await server.signup();
      const loading = load(tools.autocannon, { url: new URL('/api/todos', server.url).href, method: 'POST', token, body: todoBody, duration: Math.max(4, Math.round(DURATION / 2)) });
      await sleep(Math.max(2, Math.round(DURATION / 4)) * 1000);
      const stopped = await server.stop();
      const result = await loading;
      const arrived = (await sink.counts()).byName.todo_added ?? 0;
      results.midLoad = { created: result.ok, arrived, lost: result.ok - arrived, shutdownMs: stopped.ms, exitCode: stopped.code };
      log(`  zero loss, SIGTERM during load: clients saw ${result.ok} todos created, ${arrived} todo_added at the sink, shutdown ${stopped.ms.toFixed(0)} ms, exit ${stopped.code}`);
    } finally {
      await server.kill();
    }
  }
  return results;
}

const OUTAGES = [
  ['healthy', 'ok'],
  ['refused', 'refuse'],
  ['HTTP 500', 'error500'],
  [`stall ${STALL_SECONDS} s`, 'stall'],
];

/**
 * While the load runs, one client reads GET /api/stats (which evaluates a
 * feature flag: a request to PostHog inside the request) every 250 ms.
 */
function probeStats(server, token) {
  const latencies = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      const status = await server.request('GET', '/api/stats', { token }).then((res) => res.status, () => 0);
      latencies.push({ ms: performance.now() - started, status });
      await sleep(250);
    }
  })();
  return async () => {
    running = false;
    await done;
    const ms = latencies.map((l) => l.ms);
    return { count: ms.length, p50: median(ms), max: Math.max(...ms), failed: latencies.filter((l) => l.status !== 200).length };
  };
}

/**
 * One outage, with a control: a second enabled server, sending to a healthy
 * sink, runs on the same core under the same load at the same time, so the
 * outage's p99 is compared with a healthy p99 taken under the same conditions.
 */
async function outagePhase(tools, project, sink, controlSink, mode) {
  await sink.setMode('ok');
  await sink.reset();
  const server = await startServer(project, { sink, enabled: true });
  const control = await startServer(project, { sink: controlSink, enabled: true });
  try {
    const token = await server.signup();
    const target = { url: new URL('/api/todos', server.url).href, method: 'POST', token, body: todoBody, serverPid: server.pid };
    const controlTarget = { url: new URL('/api/todos', control.url).href, method: 'POST', token: await control.signup(), body: todoBody, serverPid: control.pid };
    if (WARMUP > 0) await Promise.all([load(tools.autocannon, { ...target, duration: WARMUP }), load(tools.autocannon, { ...controlTarget, duration: WARMUP })]);
    const rssBefore = server.rssMb();

    await sink.setMode(mode);
    // The same extra reader on both, so that both do the same work.
    const stopProbe = probeStats(server, token);
    const stopControlProbe = probeStats(control, controlTarget.token);
    const duration = mode === 'stall' ? STALL_SECONDS : OUTAGE_DURATION;
    const [result, controlResult] = await Promise.all([load(tools.autocannon, { ...target, duration }), load(tools.autocannon, { ...controlTarget, duration })]);
    const stats = await stopProbe();
    const controlStats = await stopControlProbe();
    await control.kill();
    const rssAfter = server.rssMb();
    const health = await server.request('GET', '/health').then((res) => res.status, (error) => error.message);
    await sink.setMode('ok');

    // The server's own count: autocannon does not count responses still in flight when it stops.
    const created = await countTodos(server, token).catch(() => NaN);
    const recovered = await settle(sink, 'todo_added', created);
    const rssRecovered = server.rssMb();
    const crashedBefore = server.crashed;
    const stopped = await server.stop();
    const final = (await sink.counts()).byName.todo_added ?? 0;
    return {
      ...result,
      control: { rps: controlResult.rps, p50: controlResult.p50, p99: controlResult.p99, cpuUs: controlResult.cpuUs, failed: controlResult.non2xx + controlResult.errors, stats: controlStats },
      p99Ratio: result.p99 / controlResult.p99,
      foreign: Math.max(result.foreign, controlResult.foreign),
      created,
      failed: result.non2xx + result.errors,
      stats,
      rssBefore,
      rssAfter,
      rssRecovered,
      healthAfter: health,
      crashed: crashedBefore || stopped.code !== 0,
      exitCode: stopped.code,
      arrivedAfterRecovery: recovered,
      arrivedAfterShutdown: final,
      shutdownMs: stopped.ms,
    };
  } finally {
    await Promise.all([server.kill(), control.kill()]);
  }
}

async function measureOutages(tools, project, sink, controlSink) {
  const results = {};
  for (const [name, mode] of OUTAGES) {
    const label = `outage ${name}`;
    const r = await undisturbed(label, () => outagePhase(tools, project, sink, controlSink, mode));
    results[name] = r;
    log(`  ${label}: ${r.rps.toFixed(0)} req/s (control ${r.control.rps.toFixed(0)}), p99 ${r.p99} ms (control ${r.control.p99} ms), failed ${r.failed}, /api/stats p50 ${r.stats.p50.toFixed(0)} ms max ${r.stats.max.toFixed(0)} ms, RSS ${r.rssBefore.toFixed(0)} -> ${r.rssAfter.toFixed(0)} -> ${r.rssRecovered.toFixed(0)} MB, /health ${r.healthAfter}, ${r.created} todos, ${r.arrivedAfterRecovery} events after recovery, ${r.arrivedAfterShutdown} after shutdown (${r.shutdownMs.toFixed(0)} ms, exit ${r.exitCode}), other work ${r.foreign.toFixed(2)} cores`);
  }
  return results;
}

/**
 * posthog-node alone, on the server's core: N captures of the event POST
 * /api/todos sends, then a flush; its CPU per event less the same loop
 * without the SDK (bare-capture.mjs).
 */
async function barePhase(project, sink, batch) {
  await sink.setMode('ok');
  await sink.reset();
  const cpu = watchCpu();
  const [command, args] = pinned(SERVER_CPU, process.execPath, ['bench-bare-capture.mjs', sink.url, String(BARE_EVENTS), String(batch)]);
  const child = spawn(command, args, { cwd: project.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ourPids.add(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((done) => child.once('exit', done));
  ourPids.delete(child.pid);
  const disturbance = cpu();
  if (code !== 0) throw new Error(`bare posthog-node loop failed (${code}):\n${stderr.slice(-3000)}`);
  const result = JSON.parse(stdout.trim().split('\n').at(-1));
  const delivered = await settle(sink, 'todo_added', BARE_EVENTS);
  const batches = (await sink.counts()).requests['/batch'] ?? 0;
  return { ...result, delivered, batches, ...disturbance };
}

/** batch 0: the loop (the SDK batches as it likes); else batches of that many events. */
async function measureBare(project, sink, batch = 0) {
  const rounds = [];
  for (let round = 0; round < BARE_ROUNDS; round += 1) {
    const r = await undisturbed('bare posthog-node', () => barePhase(project, sink, batch));
    log(`  bare posthog-node (${project.versions['posthog-node']}), ${batch ? `batches of ${batch}` : 'loop'}: ${r.perEventUs.toFixed(0)} µs of CPU per event (loop ${(r.loopUs / r.events).toFixed(0)}, without the SDK ${(r.baselineUs / r.events).toFixed(0)}), ${r.delivered} of ${r.events} delivered in ${r.batches} batches, other work ${r.foreign.toFixed(2)} cores`);
    rounds.push(r);
  }
  return {
    perEventUs: median(rounds.map((r) => r.perEventUs)),
    roundUs: rounds.map((r) => r.perEventUs),
    events: BARE_EVENTS,
    batch,
    delivered: Math.min(...rounds.map((r) => r.delivered)),
    eventsPerBatch: median(rounds.map((r) => r.delivered / Math.max(1, r.batches))),
    rounds: rounds.map(({ perEventUs, loopUs, baselineUs, delivered, batches, foreign, steal, attempts }) => ({ perEventUs, loopUs, baselineUs, delivered, batches, foreign, steal, attempts })),
  };
}

const FLAG_KEY = 'detailed-analytics';
const SECRET_KEY = 'phs_benchmark_secret_key';

/**
 * GET /api/stats (it evaluates FLAG_KEY) on two enabled servers at once, at
 * the same fixed rate: one evaluating remotely (a /flags request per call,
 * which the sink answers after FLAGS_DELAY_MS), one locally (POSTHOG_SECRET_KEY;
 * the server starts listening only once the definitions have loaded).
 */
async function flagsPhase(tools, project, sinks) {
  await Promise.all([sinks.remote.reset(), sinks.local.reset()]);
  const servers = {};
  try {
    servers.remote = await startServer(project, { sink: sinks.remote, enabled: true });
    servers.local = await startServer(project, { sink: sinks.local, enabled: true, secretKey: SECRET_KEY });
    const definitions = (await sinks.local.counts()).requests['/flags/definitions'] ?? 0;
    if (definitions === 0) throw new Error('the local-evaluation server listens but never asked for flag definitions');
    const targets = {};
    for (const [mode, server] of Object.entries(servers)) {
      const token = await server.signup();
      for (let i = 0; i < 20; i += 1) await server.request('POST', '/api/todos', { json: todoBody, token });
      targets[mode] = { url: new URL('/api/stats', server.url).href, token, rate: STATS_RATE, serverPid: server.pid };
    }
    if (WARMUP > 0) await Promise.all(Object.values(targets).map((target) => load(tools.autocannon, { ...target, duration: WARMUP })));
    const flagRequests = async () => Object.fromEntries(await Promise.all(Object.entries(sinks).map(async ([mode, sink]) => [mode, (await sink.counts()).requests['/flags'] ?? 0])));
    const before = await flagRequests();
    const [remote, local] = await Promise.all([load(tools.autocannon, { ...targets.remote, duration: FLAGS_DURATION }), load(tools.autocannon, { ...targets.local, duration: FLAGS_DURATION })]);
    const after = await flagRequests();
    remote.flagRequests = after.remote - before.remote;
    local.flagRequests = after.local - before.local;
    local.definitionRequests = definitions;
    return { remote, local, foreign: Math.max(remote.foreign, local.foreign), steal: Math.max(remote.steal, local.steal) };
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.kill()));
  }
}

async function measureFlags(tools, project) {
  const flags = { [FLAG_KEY]: true };
  const sinks = {
    remote: await startSink(project.dir, { flags, flagsDelayMs: FLAGS_DELAY_MS }),
    local: await startSink(project.dir, { flags, flagsDelayMs: FLAGS_DELAY_MS, secretKey: SECRET_KEY }),
  };
  try {
    const r = await undisturbed('GET /api/stats remote vs. local evaluation', () => flagsPhase(tools, project, sinks));
    for (const mode of ['remote', 'local']) {
      const x = r[mode];
      log(`  GET /api/stats, ${mode} evaluation: p50 ${x.p50} ms, p99 ${x.p99} ms, ${x.rps.toFixed(0)} req/s, server CPU ${x.cpuUs.toFixed(0)} µs/request, ${x.flagRequests} /flags requests, failed ${x.non2xx + x.errors}`);
    }
    const keep = (x) => ({ rps: x.rps, p50: x.p50, p99: x.p99, cpuUs: x.cpuUs, failed: x.non2xx + x.errors, flagRequests: x.flagRequests, requests: Math.round(x.rps * x.duration) });
    return { remote: keep(r.remote), local: { ...keep(r.local), definitionRequests: r.local.definitionRequests }, foreign: r.foreign, steal: r.steal, attempts: r.attempts, database: project.database };
  } finally {
    await Promise.all([sinks.remote.close(), sinks.local.close()]);
  }
}

// ---------------------------------------------------------------------------
// Report

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  let nproc = String(cpus().length);
  try {
    nproc = run('nproc', []).trim();
  } catch {}
  const mem = /MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
  let kernel = '';
  try {
    kernel = run('uname', ['-sr']).trim();
  } catch {}
  return {
    nproc,
    model,
    memory: mem ? `${(Number(mem[1]) / 1024 / 1024).toFixed(1)} GiB` : `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    kernel,
    freeMemory: `${(freemem() / 2 ** 30).toFixed(1)} GiB`,
  };
}

const f0 = (n) => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const ms = (n) => (Number.isFinite(n) ? `${n % 1 === 0 ? n : n.toFixed(1)} ms` : 'n/a');

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function report(results, meta) {
  const overheadRows = [];
  const pairedRows = [];
  const lossRows = [];
  const outageRows = [];
  const bareRows = [];
  const flagRows = [];
  const us = (n) => (Number.isFinite(n) ? `${n.toFixed(0)} µs` : 'n/a');
  for (const [framework, perFramework] of Object.entries(results)) {
    const loop = perFramework.bare;
    const bareRow = (label, b) => [framework, label, String(b.events), `${b.delivered}`, f0(b.eventsPerBatch), `**${us(b.perEventUs)}**`, b.roundUs.map(f0).join(' ')];
    if (loop) bareRows.push(bareRow('loop (the SDK batches as it likes)', loop));
    for (const [database, result] of Object.entries(perFramework.databases)) {
      if (result.bare) bareRows.push(bareRow(`batches of ${result.bare.batch} (as the ${database} server sent them)`, result.bare));
    }
    const fl = perFramework.flags;
    if (fl) {
      for (const [mode, x] of [['remote (/flags per call)', fl.remote], ['local (POSTHOG_SECRET_KEY)', fl.local]]) {
        flagRows.push([framework, mode, `**${ms(x.p50)}**`, `**${ms(x.p99)}**`, f0(x.rps), us(x.cpuUs), String(x.flagRequests), String(x.failed)]);
      }
    }
    for (const [database, result] of Object.entries(perFramework.databases)) {
      for (const [route, r] of Object.entries(result.overhead)) {
        overheadRows.push([
          framework, database, route,
          f0(r.on.rps), f0(r.off.rps), `**${f2(r.ratio.rps)}**`,
          `${ms(r.on.p50)} / ${ms(r.off.p50)}`, f2(r.ratio.p50),
          `${ms(r.on.p99)} / ${ms(r.off.p99)}`, f2(r.ratio.p99),
          `${f0(r.on.cpuUs)} / ${f0(r.off.cpuUs)} µs`, f2(r.ratio.cpuUs),
          r.roundRatios.map(f2).join(' '),
        ]);
        const p = r.paired;
        if (p) {
          const added = p.onCpuUs - p.offCpuUs;
          const bare = route.startsWith('POST') ? result.bare : undefined;
          pairedRows.push([
            framework, database, route, `${f0(p.onRps)} / ${f0(p.offRps)}`, `${f0(p.onCpuUs)} / ${f0(p.offCpuUs)} µs`,
            `**${f2(p.ratio)}**`, p.roundRatios.map(f2).join(' '), `**${us(added)}**`,
            bare ? f1(p.eventsPerBatch) : '–', bare ? us(bare.perEventUs) : '–', bare ? `**${us(added - bare.perEventUs)}**` : '–',
            bare && loop ? us(loop.perEventUs) : '–',
            String(p.failed), p.ratio >= 0.95 ? 'yes' : '**no**',
          ]);
        }
      }
      const z = result.zeroLoss;
      for (const [label, r] of [['SIGTERM after the load', z.afterLoad], ['SIGTERM during the load', z.midLoad]].filter(([, r]) => r)) {
        lossRows.push([framework, database, label, String(r.created), String(r.arrived), `**${r.lost}**`, ms(Math.round(r.shutdownMs)), String(r.exitCode)]);
      }
      for (const [name, r] of Object.entries(result.outages)) {
        outageRows.push([
          framework, database, name, `${f0(r.rps)} / ${f0(r.control.rps)}`, `${ms(r.p99)} / ${ms(r.control.p99)}`, `**${f2(r.p99Ratio)}**`, String(r.failed + r.control.failed),
          `${ms(Math.round(r.stats.p50))} / ${ms(Math.round(r.stats.max))}`,
          `${f0(r.rssBefore)} → ${f0(r.rssAfter)} → ${f0(r.rssRecovered)}`,
          r.crashed ? '**yes**' : `no (/health ${r.healthAfter})`,
          String(r.created), `${r.arrivedAfterRecovery} (${f1((100 * r.arrivedAfterRecovery) / Math.max(1, r.created))} %)`,
          `${r.arrivedAfterShutdown}`, ms(Math.round(r.shutdownMs)),
        ]);
      }
    }
  }
  const m = meta.machine;
  const perDatabase = Object.values(results).flatMap((r) => Object.values(r.databases));
  const phases = [
    ...perDatabase.flatMap((r) => [
      ...Object.values(r.overhead).flatMap((o) => o.rounds.flatMap((round) => [round.on, round.off])),
      ...Object.values(r.overhead).flatMap((o) => o.paired?.rounds ?? []),
      ...Object.values(r.outages),
    ]),
    ...perDatabase.flatMap((r) => r.bare?.rounds ?? []),
    ...Object.values(results).flatMap((r) => [...(r.bare?.rounds ?? []), ...(r.flags ? [r.flags] : [])]),
  ];
  const reruns = phases.filter((p) => p.attempts > 1).length;
  const disturbed = phases.filter((p) => p.foreign > MAX_FOREIGN_CORES).length;
  const maxSteal = Math.max(0, ...phases.map((p) => p.steal));
  const skipped = Object.entries(meta.skipped ?? {}).map(([name, reason]) => `\n**${name} rows skipped:** ${reason}.`).join('');
  const section = (title, intro, header, rows) => (rows.length ? `\n### ${title}\n\n${intro ? `${intro}\n\n` : ''}${table(header, rows)}\n` : '');
  return `Machine: ${m.nproc} CPUs (${m.model}), ${m.memory} RAM, Node ${m.node}, ${m.kernel}${PINNED ? '; server pinned to CPU 0, autocannon, the sinks and PostgreSQL to CPU 1' : ''}.
Load: autocannon ${meta.autocannon}, ${CONNECTIONS} connections, a fresh server and database per phase, ${WARMUP} s of warm-up then ${DURATION} s per overhead phase, ${OUTAGE_DURATION} s per outage phase (the stall: ${STALL_SECONDS} s); ${ROUNDS} rounds of one enabled and one disabled phase per route, in alternating order. Databases: ${[...new Set(perDatabase.length ? Object.values(results).flatMap((r) => Object.keys(r.databases)) : [])].map((name) => (name === 'postgres' && meta.postgres ? `${meta.postgres} (synchronous_commit=off)` : name === 'sqlite' ? 'SQLite (node:sqlite, WAL)' : name)).join(', ')}. Versions: ${meta.versions}. Run took ${f0(meta.seconds)} s.
Other work on the machine: ${phases.length} measured phases, ${reruns} re-run because other processes used over ${MAX_FOREIGN_CORES} of a core during them, ${disturbed} still over it after ${ATTEMPTS} attempts; CPU steal at most ${f1(maxSteal)} %.${skipped}
${section('Overhead, one after the other: PostHog enabled (local sink) vs. disabled',
    'Medians over the rounds; the ratio is the median of each round\'s enabled/disabled ratio. On a virtual machine whose CPU speed drifts from one phase to the next, these are noisy (see the ratio per round, and the GET rows: no event, so nothing to measure): the table below is the one to judge by.',
    ['framework', 'database', 'route', 'req/s on', 'req/s off', 'ratio', 'p50 on / off', 'ratio', 'p99 on / off', 'ratio', 'server CPU per request on / off', 'ratio', 'req/s ratio per round'], overheadRows)}${section('Overhead, both at once: enabled and disabled servers sharing the server core',
    `Each under its own autocannon (${CONNECTIONS} connections), ${PAIRED_ROUNDS} rounds of ${DURATION} s. The ratio is disabled/enabled CPU time per request: the throughput one saturated core gives with PostHog enabled, relative to disabled. "PostHog adds" is the enabled server's CPU per request less the disabled one's, in absolute terms (POST sends one \`todo_added\` per request; GET sends nothing). "events per batch" is how the SDK batched the enabled server's events (at the sink, median over the rounds); "bare, same batches" is posthog-node alone capturing the same event on the same core in this run, in batches of that size (table below); "template adds" is the difference: the template's own work per event (request context, before_send, its delivery of batches) and what a server's event loop does differently from a loop. "bare, loop" is the SDK in a tight loop, which batches hundreds of events per request: its best case, not what a server under this load gets.`,
    ['framework', 'database', 'route', 'req/s on / off (at once)', 'server CPU per request on / off', 'ratio', 'ratio per round', 'PostHog adds per request', 'events per batch', 'bare posthog-node, same batches', 'template adds', 'bare posthog-node, loop', 'failed', '≥ 0.95'], pairedRows)}${section('posthog-node alone on the server core',
    `\`new PostHog(token, { host: sink, maxBatchSize: 1000 })\` (the template's batch size; the SDK's own fetch and gzip), ${BARE_ROUNDS} rounds of N captures of \`todo_added\` with the route's properties, then \`shutdown()\`: process CPU time (all threads) per event, less the same loop without the SDK. Delivery (JSON, gzip, HTTP) included. *Loop*: yielding to the event loop every 50 captures; the queue grows while a batch is on its way, so the SDK sends few, large batches. *Batches of N*: \`flushAt: N\` (in this script only) and an awaited \`flush()\` every N captures, N being the events per batch the enabled server sent in the "both at once" POST phases.`,
    ['framework', 'batches', 'events', 'delivered', 'events per batch', 'CPU per event (median)', 'per round'], bareRows)}${section('Feature flags: GET /api/stats, remote vs. local evaluation',
    `Two enabled servers at once on the server core (${flagRowsDatabase(results)}), each sent ${STATS_RATE} GET /api/stats per second by its own autocannon (${CONNECTIONS} connections) for ${FLAGS_DURATION} s; the route evaluates \`${FLAG_KEY}\` (on for everyone). Remote: a \`/flags\` request per call, which the sink answers after ${FLAGS_DELAY_MS} ms (standing in for the network round trip to PostHog). Local: \`POSTHOG_SECRET_KEY\` set, the sink serving \`/flags/definitions\` with the same delay; the server listens only once the definitions have loaded. "/flags requests" counts what each sink received during the measured load.`,
    ['framework', 'evaluation', 'p50', 'p99', 'req/s', 'server CPU per request', '/flags requests', 'failed'], flagRows)}${section('Zero loss: todos created vs. `todo_added` events at the sink', '',
    ['framework', 'database', 'when', 'todos created (2xx)', 'events at sink', 'lost', 'shutdown', 'exit'], lossRows)}${section('Outages: POST /api/todos under load while the sink is down',
    `Each phase runs two enabled servers at once on the server core, each under its own autocannon (${CONNECTIONS} connections): the one under test, whose sink goes down, and a control whose sink stays healthy; "p99 vs. healthy" is the first's p99 over the control's (the "healthy" row is the same with both sinks healthy). "failed" counts non-2xx answers and connection errors of both; /api/stats is read every 250 ms from both servers (it evaluates a feature flag remotely, a request to PostHog inside the request); the column shows the server under test. "todos created" is that server's own count, warm-up included; memory is its resident set.`,
    ['framework', 'database', 'sink', 'req/s (outage / control)', 'p99 (outage / control)', 'p99 vs. healthy', 'failed', '/api/stats p50 / max', 'RSS MB before → after → recovered', 'crashed', 'todos created', 'events after recovery', 'after shutdown', 'shutdown'], outageRows)}`;
}

function flagRowsDatabase(results) {
  const used = [...new Set(Object.values(results).map((r) => r.flags?.database).filter(Boolean))];
  return `${used.join(', ')} project${used.length > 1 ? 's' : ''}`;
}

// ---------------------------------------------------------------------------

function writeReport(text) {
  if (!opts.write) return;
  const target = resolve(REPO, opts.write);
  const doc = existsSync(target) ? readFileSync(target, 'utf8') : '';
  const begin = '<!-- bench:results:begin -->';
  const end = '<!-- bench:results:end -->';
  const block = `${begin}\n${text}\n${end}`;
  const next = doc.includes(begin) && doc.includes(end)
    ? doc.slice(0, doc.indexOf(begin)) + block + doc.slice(doc.indexOf(end) + end.length)
    : `${doc}${doc ? '\n' : ''}${block}\n`;
  writeFileSync(target, next);
  log(`results written to ${target}`);
}

async function main() {
  if (opts['report-only']) {
    const { meta, results } = JSON.parse(readFileSync(resolve(opts['report-only']), 'utf8'));
    // The text uses this invocation's settings: pass the run's options again.
    const text = report(results, meta);
    console.log(text);
    writeReport(text);
    return;
  }
  const started = performance.now();
  const workdir = opts.workdir ? resolve(opts.workdir) : mkdtempSync(join(tmpdir(), 'posthog-bench-'));
  mkdirSync(workdir, { recursive: true });
  log(`work directory ${workdir}${PINNED ? '' : ' (not pinning CPUs: needs taskset and 2 CPUs)'}`);
  const host = machine(); // before pinning this process, which would make nproc say 1
  if (PINNED) execFileSync('taskset', ['-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  const meta = {};
  const databases = {};
  const skipped = {};
  const results = {};
  const versions = [];
  try {
    if (DATABASES.includes('sqlite')) databases.sqlite = sqliteDatabases(workdir);
    if (DATABASES.includes('postgres')) {
      const postgres = await startPostgres();
      if (postgres.skipped) {
        skipped.postgres = postgres.skipped;
        log(`skipping the PostgreSQL rows: ${postgres.skipped}`);
      } else {
        databases.postgres = postgres;
        log(`PostgreSQL: ${postgres.version}`);
      }
    }
    const unknown = DATABASES.filter((name) => !['sqlite', 'postgres'].includes(name));
    if (unknown.length) throw new Error(`unknown database ${unknown.join(', ')}; use sqlite, postgres`);
    const tools = setup(workdir, Object.keys(databases));
    const autocannonVersion = JSON.parse(readFileSync(join(workdir, 'tools', 'node_modules', 'autocannon', 'package.json'), 'utf8')).version;
    for (const framework of FRAMEWORKS) {
      results[framework] = { databases: {} };
      for (const database of Object.keys(databases)) {
        const project = { ...tools.projects[`${framework}/${database}`], databases: databases[database] };
        versions.push(Object.entries(project.versions).map(([name, version]) => `${name} ${version}`).join(', '));
        log(`== ${framework} with ${database}`);
        const sink = await startSink(project.dir);
        const controlSink = await startSink(project.dir);
        try {
          // The bare loop once per framework (its posthog-node), next to the first database's overhead phases.
          if (PARTS.has('bare') && !results[framework].bare) results[framework].bare = await measureBare(project, sink);
          const overhead = PARTS.has('overhead') ? await measureOverhead(tools, project, sink) : {};
          // The SDK alone at the batch size this server sent under load (POST: one event per request).
          const batch = Math.round(overhead['POST /api/todos']?.paired?.eventsPerBatch ?? 0);
          results[framework].databases[database] = {
            overhead,
            bare: PARTS.has('bare') && batch > 0 ? await measureBare(project, sink, batch) : undefined,
            zeroLoss: PARTS.has('zero-loss') ? await measureZeroLoss(tools, project, sink) : {},
            outages: PARTS.has('outages') ? await measureOutages(tools, project, sink, controlSink) : {},
          };
        } finally {
          await Promise.all([sink.close(), controlSink.close()]);
        }
        // Flag evaluation does not touch the database: measured once per framework, on the first one.
        if (PARTS.has('flags') && !results[framework].flags) results[framework].flags = await measureFlags(tools, project);
      }
    }
    meta.autocannon = autocannonVersion;
  } finally {
    await databases.postgres?.stop();
    if (!opts.keep && !opts.workdir) rmSync(workdir, { recursive: true, force: true });
  }

  Object.assign(meta, {
    machine: host,
    versions: [...new Set(versions)].join('; '),
    postgres: databases.postgres?.version,
    skipped,
    seconds: (performance.now() - started) / 1000,
    settings: { DURATION, OUTAGE_DURATION, STALL_SECONDS, WARMUP, CONNECTIONS, ROUNDS, PAIRED_ROUNDS, PINNED, BARE_EVENTS, FLAGS_DELAY_MS, STATS_RATE, FLAGS_DURATION },
  });
  const text = report(results, meta);
  console.log(text);
  mkdirSync(join(REPO, '.cache'), { recursive: true });
  writeFileSync(join(REPO, '.cache', 'bench-results.json'), JSON.stringify({ meta, results }, null, 2));
  writeReport(text);
}

await main();
