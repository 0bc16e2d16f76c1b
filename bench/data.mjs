#!/usr/bin/env node
// What a request costs as the data grows: the contract says that POST, PATCH
// and DELETE /api/todos, the first page of GET /api/todos, GET /api/stats,
// GET /api/me and login cost the same for a user with 10 todos as for one with
// 50,000. For each database (SQLite and PostgreSQL) this renders a project,
// seeds one database with a user holding 50,000 todos (written straight into
// it, not through the API) among other users' todos, and a user with 10, and
// measures each route for both: the median latency (p50) and the server's CPU
// time per request, then prints the ratios (50,000 / 10). Each ratio must be
// at most 1.15 (--limit).
//
// The two users are served side by side, at the same time, by two instances of
// the server on the one database, both on one core (with two or more CPUs, the
// load, PostgreSQL and the capture sink run on the other): whatever else the
// machine does hits both alike. The instances swap users every round, and the
// figures are the medians of the rounds. PostHog is on, against the project's
// capture sink, with local flag evaluation and detailed-analytics on, so
// /api/stats returns the counts and the 10 most recent todos.
//
// Writes: POST adds --writes todos per user and round, DELETE then removes
// those same todos and PATCH completes or reopens todos picked at random from
// all the user's own, so each user's count comes back to where it was (the
// small user holds 10 todos, up to 10 + --writes between POST and DELETE).
// GET's first page is ?limit=10 for both, so both pages hold the same todos'
// worth of JSON; any difference comes from the data behind it.
//
//   node bench/data.mjs [--databases sqlite,postgres] [--framework express]
//                       [--todos 50000] [--writes 1000] [--reads 2000] [--logins 40]
//                       [--connections 8] [--rounds 3] [--limit 1.15] [--workdir DIR]
//
// `make bench-data` runs it with the defaults (a few minutes); BENCH_DATA_ARGS
// passes options. Needs Node 22.22+ (the generated projects do).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  console.error(`bench/data.mjs needs Node 22.22 or newer (node:sqlite, as the generated projects); this is ${process.version}`);
  process.exit(1);
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(BENCH_DIR, '..');

const { values: opts } = parseArgs({
  options: {
    databases: { type: 'string', default: 'sqlite,postgres' },
    framework: { type: 'string', default: 'express' },
    todos: { type: 'string', default: '50000' },
    small: { type: 'string', default: '10' },
    writes: { type: 'string', default: '1000' }, // POST, then DELETE, and PATCH: per user and round
    reads: { type: 'string', default: '2000' }, // GET page, stats, me: per user and round
    logins: { type: 'string', default: '40' }, // scrypt makes each one dear
    connections: { type: 'string', default: '8' }, // per user
    rounds: { type: 'string', default: '3' },
    limit: { type: 'string', default: '1.15' },
    workdir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    copier: { type: 'string', default: process.env.COPIER ?? '' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.log(text.slice(1, text.findIndex((line) => line.startsWith('import '))).join('\n').replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}

const DATABASES = opts.databases.split(',').map((name) => name.trim()).filter(Boolean);
const BIG = Number(opts.todos);
const SMALL = Number(opts.small);
const WRITES = Number(opts.writes);
const READS = Number(opts.reads);
const LOGINS = Number(opts.logins);
const CONNECTIONS = Number(opts.connections);
const ROUNDS = Number(opts.rounds);
const LIMIT = Number(opts.limit);
// Other users' todos around the big user's: the database holds more than the two users measured.
const OTHER_USERS = 100;
const OTHER_TODOS = 50;
const PASSWORD = 'benchmark-password';
const SECRET_KEY = 'phs_bench_data';
const CLOCK_TICKS = 100; // USER_HZ, the unit of /proc/PID/stat
const PINNED = cpus().length >= 2 && spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
const SERVER_CPU = '0';
const LOAD_CPU = '1';

const log = (...parts) => console.error(`[bench-data ${new Date().toISOString().slice(11, 19)}]`, ...parts);
const run = (command, args, options = {}) =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...options });
const pinned = (cpu, command, args) => (PINNED ? ['taskset', ['-c', cpu, command, ...args]] : [command, args]);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function npmEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(POSTHOG_|PORT$|HOST$|NODE_ENV$|DATABASE_URL$)/.test(name)));
  const cache = process.env.npm_config_cache || join(REPO, '.cache', 'npm');
  mkdirSync(cache, { recursive: true });
  return { ...env, npm_config_cache: cache, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function renderProject(workdir, database) {
  const dir = join(workdir, `${opts.framework}-${database}`);
  if (existsSync(join(dir, 'node_modules'))) return dir;
  log(`rendering and installing the ${opts.framework} project with ${database}`);
  const settings = join(workdir, 'copier-settings.yml');
  writeFileSync(settings, '{}\n');
  const venvCopier = join(REPO, '.venv', 'bin', 'copier');
  const copier = opts.copier || (existsSync(venvCopier) ? venvCopier : 'copier');
  rmSync(dir, { recursive: true, force: true });
  // --vcs-ref HEAD renders the working tree, uncommitted changes included.
  run(copier, ['copy', '--trust', '--defaults', '--quiet', '--vcs-ref', 'HEAD', '--data', `framework=${opts.framework}`,
    '--data', `database=${database}`, '--data', `project_name=bench-data-${database}`, REPO, dir],
  { env: { ...process.env, COPIER_SETTINGS_PATH: settings } });
  run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env: npmEnv() });
  return dir;
}

// ---------------------------------------------------------------------------
// PostgreSQL: a throwaway cluster, as bench.mjs and tests/postgres.py start one.

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
  return versions.length ? join(root, versions.at(-1), 'bin') : null;
}

async function startPostgres() {
  const bin = postgresBinDir();
  if (!bin) return { skipped: "PostgreSQL server binaries not found: install Debian's `postgresql` package" };
  const asServerUser = process.getuid?.() === 0 ? (command, args) => ['runuser', ['-u', 'postgres', '--', command, ...args]] : (command, args) => [command, args];
  const password = 'posthog-bench-data';
  const root = mkdtempSync(join(tmpdir(), 'posthog-bench-data-postgres-'));
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
  // synchronous_commit=off, as SQLite's WAL with synchronous=NORMAL: commits do not wait for this machine's disk.
  const [command, args] = pinned(LOAD_CPU, ...asServerUser(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'synchronous_commit=off',
  ]));
  const server = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverLog = '';
  server.stderr.setEncoding('utf8').on('data', (chunk) => (serverLog = (serverLog + chunk).slice(-5000)));
  const stop = async () => {
    try {
      run(...asServerUser(join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w']));
    } catch {}
    if (server.exitCode === null) {
      const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
      await new Promise((done) => server.once('exit', done));
      clearTimeout(timer);
    }
    tidy();
  };
  const deadline = performance.now() + 30_000;
  while (spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]).status !== 0) {
    if (server.exitCode !== null || performance.now() > deadline) {
      await stop();
      return { skipped: `PostgreSQL did not start: ${serverLog.trim().split('\n').at(-1)}` };
    }
    await sleep(200);
  }
  const env = { ...process.env, PGPASSWORD: password };
  run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'bench_data'], { env });
  return { version: run(join(bin, 'postgres'), ['--version']).trim(), url: `postgres://postgres:${password}@127.0.0.1:${port}/bench_data`, stop };
}

// ---------------------------------------------------------------------------
// Seeding, straight into the database: each user's counters are the
// database's own (migration 3's triggers), so they are right afterwards too.

/**
 * Runs `work({query, many})` on the project's database, through node:sqlite or
 * the project's own pg: `many(table, columns, rows)` inserts rows in one transaction.
 */
async function withDatabase(project, work) {
  if (project.database === 'sqlite') {
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(project.databaseUrl);
    db.exec('PRAGMA busy_timeout = 10000');
    try {
      return await work({
        query: async (sql, params = []) => db.prepare(sql).all(...params),
        many: async (table, columns, rows) => {
          const statement = db.prepare(`INSERT INTO ${table} (${columns}) VALUES (${columns.map(() => '?')})`);
          db.exec('BEGIN');
          for (const row of rows) statement.run(...row);
          db.exec('COMMIT');
        },
      });
    } finally {
      db.close();
    }
  }
  const pg = createRequire(join(project.dir, 'package.json'))('pg');
  const client = new pg.Client({ connectionString: project.databaseUrl });
  await client.connect();
  try {
    return await work({
      query: async (sql, params = []) => (await client.query(sql, params)).rows,
      many: async (table, columns, rows) => {
        await client.query('BEGIN');
        // A thousand rows a statement: one round trip each, well under pg's 65535 parameters.
        for (let start = 0; start < rows.length; start += 1000) {
          const chunk = rows.slice(start, start + 1000);
          const values = chunk.map((_, i) => `(${columns.map((__, j) => `$${i * columns.length + j + 1}`)})`);
          await client.query(`INSERT INTO ${table} (${columns}) VALUES ${values}`, chunk.flat());
        }
        await client.query('COMMIT');
      },
    });
  } finally {
    await client.end();
  }
}

const TODO_COLUMNS = ['id', 'user_id', 'title', 'completed', 'created_at', 'completed_at'];

/** `count` todos for `userId`, a third of them completed, created over the past `count` minutes. */
function todoRows(database, userId, count, label) {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const completed = i % 3 === 0;
    const createdAt = new Date(now - (count - i) * 60_000).toISOString();
    return [randomUUID(), userId, `${label} ${i + 1}`, database === 'sqlite' ? Number(completed) : completed, createdAt, completed ? new Date(now).toISOString() : null];
  });
}

async function seed(project, { big, others }) {
  await withDatabase(project, async ({ query, many }) => {
    const started = performance.now();
    await many('todos', TODO_COLUMNS, todoRows(project.database, big.id, BIG, 'seeded'));
    // Other users' todos after the big user's, so that theirs are not simply the newest rows.
    for (const other of others) await many('todos', TODO_COLUMNS, todoRows(project.database, other.id, OTHER_TODOS, 'other'));
    // The planner's statistics as a database that has been in use a while has them.
    await query('ANALYZE');
    const [{ count }] = await query('SELECT count(*) AS count FROM todos');
    log(`  seeded ${BIG} todos for one user and ${OTHER_USERS * OTHER_TODOS} for ${OTHER_USERS} others in ${((performance.now() - started) / 1000).toFixed(1)} s (${count} todos in the database)`);
  });
  big.ids = await withDatabase(project, async ({ query }) =>
    (await query(project.database === 'sqlite' ? 'SELECT id FROM todos WHERE user_id = ?' : 'SELECT id FROM todos WHERE user_id = $1', [big.id])).map((row) => row.id));
}

// ---------------------------------------------------------------------------
// Processes: the sink, the servers

async function startSink(projectDir) {
  const options = { flags: { 'detailed-analytics': true }, secretKey: SECRET_KEY };
  const [command, args] = pinned(LOAD_CPU, process.execPath, [join(BENCH_DIR, 'sink.mjs'), join(projectDir, 'scripts', 'capture-sink.js'), JSON.stringify(options)]);
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise((done, reject) => {
    child.once('message', done);
    child.once('exit', (code) => reject(new Error(`capture sink exited (${code}) before it was ready`)));
  });
  return {
    url: ready.url,
    close: () => {
      child.disconnect();
      return new Promise((done) => (child.exitCode !== null ? done() : child.once('exit', done)));
    },
  };
}

async function startServer(project, sink, name) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(POSTHOG_|PORT$|HOST$|NODE_ENV$|NODE_OPTIONS$|DATABASE_URL$|LOG_LEVEL$|SESSION_TTL_SECONDS$)/.test(key)));
  Object.assign(env, {
    PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'warn', DATABASE_URL: project.databaseUrl,
    POSTHOG_PROJECT_TOKEN: 'phc_bench_data', POSTHOG_HOST: sink.url, POSTHOG_SECRET_KEY: SECRET_KEY,
  });
  const [command, args] = pinned(SERVER_CPU, process.execPath, ['--disable-warning=ExperimentalWarning', 'src/server.js']);
  const child = spawn(command, args, { cwd: project.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  const exited = new Promise((done) => child.once('exit', done));
  const url = await new Promise((done, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${name} did not start:\n${output}`)), 20_000);
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      done(match[1]);
    };
    child.stdout.on('data', onData);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server ${name} exited before listening:\n${output}`));
    });
  });
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS * 2 });
  return {
    name,
    pid: child.pid,
    output: () => output,
    /** One request: resolves to {status, body, ms}. */
    request(method, path, { json, token } = {}) {
      const body = json === undefined ? undefined : JSON.stringify(json);
      const headers = { ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
      return new Promise((done, reject) => {
        const started = performance.now();
        const req = httpRequest({ agent, hostname, port, method, path, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk) => (text += chunk)).on('end', () => {
            const ms = performance.now() - started;
            done({ status: res.statusCode, body: text ? JSON.parse(text) : undefined, ms });
          });
        });
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
        req.once('error', reject);
        req.end(body);
      });
    },
    /** The process's CPU time so far (all its threads: scrypt's too), in µs. */
    cpuUs() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * (1e6 / CLOCK_TICKS);
    },
    async stop() {
      agent.destroy();
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------
// The routes, each as the next request a user sends (null: this phase is done).

const ROUTES = [
  {
    name: 'POST /api/todos',
    count: () => WRITES,
    next: (user, i) => ({ method: 'POST', path: '/api/todos', json: { title: `benchmark todo ${i}` }, onBody: (body) => user.created.push(body.todo.id) }),
  },
  {
    name: 'PATCH /api/todos/:id',
    count: () => WRITES,
    // Any of the user's todos, completed or reopened: the counters move with it.
    next: (user, i) => ({ method: 'PATCH', path: `/api/todos/${user.ids[Math.floor(Math.random() * user.ids.length)]}`, json: { completed: i % 2 === 0 } }),
  },
  {
    name: 'DELETE /api/todos/:id',
    count: (user) => user.created.length,
    // The todos this round's POST added, so that each user ends the round as it began.
    next: (user) => ({ method: 'DELETE', path: `/api/todos/${user.created.pop()}` }),
  },
  { name: 'GET /api/todos?limit=10', count: () => READS, next: () => ({ method: 'GET', path: '/api/todos?limit=10' }) },
  { name: 'GET /api/stats', count: () => READS, next: () => ({ method: 'GET', path: '/api/stats' }) },
  { name: 'GET /api/me', count: () => READS, next: () => ({ method: 'GET', path: '/api/me' }) },
  {
    name: 'POST /api/auth/login',
    count: () => LOGINS,
    connections: 2,
    next: (user) => ({ method: 'POST', path: '/api/auth/login', json: { email: user.email, password: PASSWORD }, noToken: true }),
  },
];

/** Sends `route`'s requests for `user` to `server`, `connections` at a time; their latencies. */
async function drive(server, user, route) {
  const total = route.count(user);
  const latencies = [];
  const failures = {};
  let sent = 0;
  const worker = async () => {
    while (sent < total) {
      const { method, path, json, onBody, noToken } = route.next(user, sent);
      sent += 1;
      const res = await server.request(method, path, { json, token: noToken ? undefined : user.token });
      if (res.status >= 400) failures[res.status] = (failures[res.status] ?? 0) + 1;
      else onBody?.(res.body);
      latencies.push(res.ms);
    }
  };
  await Promise.all(Array.from({ length: Math.min(route.connections ?? CONNECTIONS, total) }, worker));
  return { latencies, failures };
}

/** Both users at once, each on its own instance; per user: p50 (ms) and the instance's CPU per request (µs). */
async function pairedPhase(route, assignment) {
  const before = assignment.map(({ server }) => server.cpuUs());
  const results = await Promise.all(assignment.map(({ server, user }) => drive(server, user, route)));
  return assignment.map(({ server, user }, i) => {
    const { latencies, failures } = results[i];
    return { user: user.label, p50: median(latencies), cpuUs: (server.cpuUs() - before[i]) / Math.max(1, latencies.length), requests: latencies.length, failures };
  });
}

async function measure(project) {
  const sink = await startSink(project.dir);
  const servers = [];
  try {
    // One after the other: the first creates the schema.
    servers.push(await startServer(project, sink, 'A'));
    servers.push(await startServer(project, sink, 'B'));
    const [a] = servers;
    const signup = async (label) => {
      const email = `${label.replace(/\W+/g, "-")}-${randomUUID()}@example.com`;
      const res = await a.request('POST', '/api/auth/signup', { json: { email, password: PASSWORD } });
      if (res.status !== 201) throw new Error(`signup answered ${res.status}`);
      return { label, email, token: res.body.token, id: res.body.user.id, created: [], ids: [] };
    };
    const big = await signup(`${BIG} todos`);
    const others = [];
    for (let i = 0; i < OTHER_USERS; i += 1) others.push(await signup(`other ${i}`));
    await seed(project, { big, others });
    const small = await signup(`${SMALL} todos`);
    for (let i = 0; i < SMALL; i += 1) {
      const res = await a.request('POST', '/api/todos', { json: { title: `small ${i + 1}` }, token: small.token });
      small.ids.push(res.body.todo.id);
    }
    for (const user of [small, big]) {
      const { body } = await a.request('GET', '/api/stats', { token: user.token });
      log(`  ${user.label}: /api/stats says total ${body.total}, completed ${body.completed}, ${body.todos ? `${body.todos.length} recent todos` : 'no todos (detailed-analytics off?)'}`);
      if (!body.todos) throw new Error('detailed-analytics is not on: /api/stats would not read the recent todos');
    }

    // Warm-up: every route once over, unmeasured, on both instances.
    for (const route of ROUTES) await pairedPhase({ ...route, count: (user) => Math.min(route.count(user), 100) }, [{ server: servers[0], user: small }, { server: servers[1], user: big }]);
    for (const user of [small, big]) user.created.length = 0;

    const rounds = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // The instances swap users every round.
      const assignment = round % 2 === 0 ? [{ server: servers[0], user: small }, { server: servers[1], user: big }] : [{ server: servers[1], user: small }, { server: servers[0], user: big }];
      const results = {};
      for (const route of ROUTES) {
        const [forSmall, forBig] = await pairedPhase(route, assignment);
        results[route.name] = { small: forSmall, big: forBig };
        const failed = [forSmall, forBig].filter((r) => Object.keys(r.failures).length);
        log(`  round ${round + 1} ${route.name.padEnd(24)} p50 ${forSmall.p50.toFixed(2)} / ${forBig.p50.toFixed(2)} ms, CPU ${forSmall.cpuUs.toFixed(0)} / ${forBig.cpuUs.toFixed(0)} µs${failed.length ? `, FAILED ${JSON.stringify(failed.map((r) => r.failures))}` : ''}`);
      }
      rounds.push(results);
    }
    const { body: finalBig } = await a.request('GET', '/api/stats', { token: big.token });
    const failures = rounds.flatMap((results) => Object.values(results).flatMap(({ small: s, big: b }) => [s.failures, b.failures])).filter((f) => Object.keys(f).length);
    return {
      rounds,
      failures,
      bigTotal: finalBig.total,
      summary: Object.fromEntries(ROUTES.map(({ name }) => {
        const of = (who, key) => median(rounds.map((results) => results[name][who][key]));
        // The median of each round's own ratio: the two users were measured side by side.
        const ratio = (key) => median(rounds.map((results) => results[name].big[key] / results[name].small[key]));
        return [name, { small: { p50: of('small', 'p50'), cpuUs: of('small', 'cpuUs') }, big: { p50: of('big', 'p50'), cpuUs: of('big', 'cpuUs') }, ratio: { p50: ratio('p50'), cpuUs: ratio('cpuUs') } }];
      })),
    };
  } finally {
    for (const server of servers) await server.stop();
    await sink.close();
  }
}

function report(results, meta) {
  const lines = [];
  const number = (value, digits) => value.toFixed(digits).padStart(9);
  lines.push(`Cost per request: a user with ${SMALL} todos vs. one with ${BIG.toLocaleString('en-US')}, ${opts.framework}, ` +
    `${ROUNDS} rounds (medians), ${CONNECTIONS} connections per user, two instances side by side${PINNED ? ' on CPU 0' : ''}`);
  lines.push(`Node ${process.version}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}); ${meta.postgres ?? ''}`);
  let pass = true;
  for (const [database, result] of Object.entries(results)) {
    lines.push('');
    if (result.skipped) {
      lines.push(`${database}: skipped (${result.skipped})`);
      continue;
    }
    lines.push(`${database}  (${result.bigTotal.toLocaleString('en-US')} todos for the big user at the end; ${OTHER_USERS * OTHER_TODOS} other users' todos in the database)`);
    lines.push(`  ${'route'.padEnd(26)} ${`p50 ms`.padStart(9)} ${`p50 ms`.padStart(9)} ${'CPU µs'.padStart(9)} ${'CPU µs'.padStart(9)}   ratio p50  ratio CPU`);
    lines.push(`  ${''.padEnd(26)} ${`${SMALL}`.padStart(9)} ${`${BIG}`.padStart(9)} ${`${SMALL}`.padStart(9)} ${`${BIG}`.padStart(9)}`);
    for (const [name, { small, big, ratio }] of Object.entries(result.summary)) {
      const ok = ratio.p50 <= LIMIT && ratio.cpuUs <= LIMIT;
      pass &&= ok;
      lines.push(`  ${name.padEnd(26)} ${number(small.p50, 2)} ${number(big.p50, 2)} ${number(small.cpuUs, 0)} ${number(big.cpuUs, 0)}   ${ratio.p50.toFixed(2).padStart(9)}  ${ratio.cpuUs.toFixed(2).padStart(9)}  ${ok ? 'ok' : `OVER ${LIMIT}`}`);
    }
    if (result.failures.length) {
      pass = false;
      lines.push(`  failed requests: ${JSON.stringify(result.failures)}`);
    }
  }
  lines.push('');
  lines.push(pass ? `Every ratio is at most ${LIMIT}.` : `Some ratio is over ${LIMIT}, or requests failed.`);
  return { text: lines.join('\n'), pass };
}

async function main() {
  const workdir = opts.workdir ? resolve(opts.workdir) : mkdtempSync(join(tmpdir(), 'posthog-bench-data-'));
  mkdirSync(workdir, { recursive: true });
  log(`work directory ${workdir}${PINNED ? '' : ' (not pinning CPUs: needs taskset and 2 CPUs)'}`);
  if (PINNED) execFileSync('taskset', ['-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  const results = {};
  const meta = {};
  try {
    for (const database of DATABASES) {
      if (!['sqlite', 'postgres'].includes(database)) throw new Error(`unknown database ${database}; use sqlite, postgres`);
      const dir = renderProject(workdir, database);
      let postgres;
      if (database === 'postgres') {
        postgres = await startPostgres();
        if (postgres.skipped) {
          results.postgres = { skipped: postgres.skipped };
          log(`skipping PostgreSQL: ${postgres.skipped}`);
          continue;
        }
        meta.postgres = postgres.version;
      }
      const databaseUrl = postgres ? postgres.url : join(workdir, `sqlite-${Date.now()}`, 'app.db');
      log(`== ${opts.framework} with ${database}`);
      try {
        results[database] = await measure({ dir, database, databaseUrl });
      } finally {
        await postgres?.stop();
        if (!postgres) rmSync(resolve(databaseUrl, '..'), { recursive: true, force: true });
      }
    }
  } finally {
    if (!opts.keep && !opts.workdir) rmSync(workdir, { recursive: true, force: true });
  }
  const { text, pass } = report(results, meta);
  console.log(text);
  process.exitCode = pass ? 0 : 1;
}

await main();
