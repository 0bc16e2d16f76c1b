// The database behind the API, whichever this project uses (test/support/database.ts
// knows how to make one for tests): the email stays unique under concurrency
// and an outage is a 503 the app recovers from (in this process); data
// survives restarts, several processes share it, and a bad DATABASE_URL stops
// the start-up cleanly (real server processes).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { CaptureSink } from '../scripts/capture-sink.ts';
import { assertError, uniqueEmail, uniquePassword } from './support/client.ts';
import type { Account, MeBody, TodoListBody } from './support/client.ts';
import { badDatabaseUrls, newInterruptibleDatabase, newPersistentDatabaseUrl } from './support/database.ts';
import { named } from './support/events.ts';
import { startApp } from './support/in-process.ts';
import { nodeFlags, startCaptureSink, startServer, stopCleanly } from './support/server.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Runs `scenario(sink)`, then closes the sink whatever happened. */
async function withSink<T>(scenario: (sink: CaptureSink) => Promise<T>): Promise<T> {
  const sink = await startCaptureSink();
  try {
    return await scenario(sink);
  } finally {
    await sink.close();
  }
}

describe('database', { concurrency: true }, () => {
  it('lets exactly one of 50 simultaneous signups with one email through', async () => {
    const server = await startApp();
    try {
      const email = uniqueEmail();
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          server.request('POST', '/api/auth/signup', { json: { email, password: uniquePassword() } }),
        ),
      );
      const statuses = responses.map((res) => res.status);
      assert.equal(statuses.filter((status) => status === 201).length, 1, `statuses: ${statuses}`);
      assert.equal(statuses.filter((status) => status === 409).length, 49, `statuses: ${statuses}`);
    } finally {
      await server.stop();
    }
  });

  it('answers 503 while the database is away and recovers when it is back', async () => {
    const database = await newInterruptibleDatabase();
    await withSink(async (sink) => {
      const server = await startApp({ sink, env: { DATABASE_URL: database.url } });
      let unavailable = 0;
      try {
        const { token } = await server.signup();
        assert.deepEqual((await server.request('GET', '/health')).body, { status: 'ok' });

        await database.interrupt();
        try {
          for (const send of [
            () => server.request('POST', '/api/todos', { json: { title: 'during the outage' }, token }),
            () =>
              server.request('POST', '/api/auth/signup', {
                json: { email: uniqueEmail(), password: uniquePassword() },
              }),
          ]) {
            const res = await send();
            assertError(res, 503);
            assert.deepEqual(res.body, { error: 'Service Unavailable' });
            unavailable += 1;
          }
          const health = await server.request('GET', '/health');
          assert.equal(health.status, 503, health.text);
          assert.deepEqual(health.body, { status: 'unavailable' });
        } finally {
          await database.restore();
        }

        // Back, without a restart: the same app serves again.
        assert.deepEqual((await server.request('GET', '/health')).body, { status: 'ok' });
        await server.addTodo(token, 'after the outage');
        const todos = await server.request<TodoListBody>('GET', '/api/todos', { token });
        assert.deepEqual(
          todos.body.todos.map((todo) => todo.title),
          ['after the outage'],
        );
      } finally {
        await server.stop();
      }
      const exceptions = named(sink.events, '$exception');
      assert.equal(exceptions.length, unavailable, 'exactly one $exception per 503');
      for (const event of exceptions) assert.equal(event.properties.$response_status_code, 503);
    });
  });
});

describe('database across restarts and server processes', { concurrency: true }, () => {
  it('keeps users, sessions and todos across a restart', async () => {
    const url = await newPersistentDatabaseUrl();
    const first = await startServer({ env: { DATABASE_URL: url } });
    let token: string;
    let credentials: Account;
    try {
      credentials = await first.signup();
      token = credentials.token;
      await first.addTodo(token, 'first');
      await first.addTodo(token, 'second');
    } finally {
      await stopCleanly(first);
    }
    // Node 22 warns that node:sqlite is experimental; the project drops that one warning.
    assert.doesNotMatch(first.output.stderr, /ExperimentalWarning/);

    const second = await startServer({ env: { DATABASE_URL: url } });
    try {
      const me = await second.request<MeBody>('GET', '/api/me', { token });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.user.id, credentials.user.id);
      const todos = await second.request<TodoListBody>('GET', '/api/todos', { token });
      assert.deepEqual(
        todos.body.todos.map((todo) => todo.title),
        ['first', 'second'],
      );
      assert.match(todos.body.todos[0].createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      await second.login(credentials);
    } finally {
      await stopCleanly(second);
    }
  });

  it('serves the same users, tokens and todos from two processes', async () => {
    const url = await newPersistentDatabaseUrl();
    await withSink(async (sink) => {
      // Started together: both apply (or skip) the migrations at once.
      const [a, b] = await Promise.all([
        startServer({ sink, env: { DATABASE_URL: url } }),
        startServer({ sink, env: { DATABASE_URL: url } }),
      ]);
      let user: Account['user'];
      try {
        const signedUp = await a.signup();
        user = signedUp.user;
        const loggedIn = await b.login(signedUp);
        assert.equal(loggedIn.user.id, user.id);

        const onB = await b.request<MeBody>('GET', '/api/me', { token: signedUp.token });
        assert.equal(onB.status, 200, onB.text);
        const added = await b.addTodo(loggedIn.token, 'added on B');
        const onA = await a.request<TodoListBody>('GET', '/api/todos', { token: signedUp.token });
        assert.deepEqual(
          onA.body.todos.map((todo) => todo.id),
          [added.id],
        );
      } finally {
        await Promise.all([stopCleanly(a), stopCleanly(b)]);
      }
      const events = sink.events.filter((event) => !event.event.startsWith('$feature_flag'));
      assert.ok(named(events, 'user_signed_up').length === 1 && named(events, 'user_logged_in').length === 1);
      assert.ok(named(events, 'todo_added').length === 1);
      for (const event of events) assert.equal(event.distinct_id, user.id, `${event.event} under another person`);
    });
  });
});

/** Starts the server expecting it to refuse: resolves with its exit code and output. */
function startExpectingFailure(databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl };
  delete env.POSTHOG_PROJECT_TOKEN;
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [...nodeFlags(), 'src/server.ts'], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
    // It started after all: no need to wait for a refusal that will not come.
    if (/listening on/.test(stdout)) child.kill('SIGKILL');
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('a DATABASE_URL the server cannot use', { concurrency: true }, async () => {
  for (const { why, url, secret, ifItStarts } of await badDatabaseUrls()) {
    it(`stops the start-up: ${why}`, async () => {
      const { code, stdout, stderr } = await startExpectingFailure(url);
      if (/listening on/.test(stdout)) assert.fail(ifItStarts ?? `the server started with ${why}`);
      assert.equal(code, 1, `exit code; stderr: ${stderr}`);
      assert.doesNotMatch(stdout, /listening on/);
      const lines = stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
      assert.match(lines[0], /DATABASE_URL|database/i);
      if (secret) assert.ok(!`${stdout}${stderr}`.includes(secret), `the password leaked:\n${stderr}`);
    });
  }
});
