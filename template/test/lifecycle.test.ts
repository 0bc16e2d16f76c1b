// Start-up and shutdown: configuration from the environment, a clean exit on
// a signal, and no event lost on the way out.
import assert from 'node:assert/strict';
import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { assertError, newProjectToken, UNREACHABLE_POSTHOG } from './support/client.ts';
import { named, namesOf } from './support/events.ts';
import { runScenario, startCaptureSink, startServer, stopCleanly } from './support/server.ts';
import type { CaptureSink } from '../scripts/capture-sink.ts';
import type { Exit, TestServer } from './support/server.ts';

function getJson(url: string, { agent, token }: { agent: Agent; token: string }) {
  return new Promise<{ status: number | undefined; text: string }>((resolve, reject) => {
    const req = get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
  });
}

const disabledNotices = (output: TestServer['output']) =>
  `${output.stdout}\n${output.stderr}`.split('\n').filter((line) => /posthog/i.test(line) && /disabled/i.test(line));

describe('shutdown', { concurrency: true }, () => {
  it('delivers every event captured before SIGTERM', async () => {
    const {
      result: user,
      events,
      server,
    } = await runScenario(async (api) => {
      const { user, token } = await api.signup();
      // More than two SDK batches (flushAt 20), most still queued at the signal.
      for (let i = 1; i <= 50; i += 1) await api.addTodo(token, `todo ${i}`);
      return user;
    });
    const added = named(events, 'todo_added');
    assert.equal(added.length, 50);
    assert.deepEqual(
      added.map((event) => event.properties.total_todos as number).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.ok(added.every((event) => event.distinct_id === user.id));
    assert.equal(new Set(events.map((event) => event.uuid)).size, events.length, 'no event sent twice');
    assert.doesNotMatch(server.output.stderr, /not delivered/);
  });

  /**
   * Puts GET /api/stats in flight (its feature-flag call held by the sink),
   * sends SIGTERM once the stats request is inside the server, then lets it
   * finish. `send` makes the request; resolves with its response, the exit
   * and how long the server took to exit after answering.
   */
  async function signalDuringRequest(
    api: TestServer,
    sink: CaptureSink,
    send: (token: string) => Promise<{ status: number | undefined; text: string }>,
  ) {
    const { token } = await api.signup();
    sink.setMode('stall');
    const pending = send(token).then((res) => ({ res, answeredAt: performance.now() }));
    await sink.waitForRequest((request) => request.path.startsWith('/flags'));
    const exited = api.stop().then((exit) => ({ exit, exitedAt: performance.now() }));
    await api.waitUntilNotListening();
    sink.setMode('ok');
    const { res, answeredAt } = await pending;
    const { exit, exitedAt } = await exited;
    return { res, exit, exitDelayMs: exitedAt - answeredAt };
  }

  it('lets an in-flight request finish, then flushes its event', async () => {
    const { result, events } = await runScenario((api, sink) =>
      signalDuringRequest(api, sink, (token) =>
        api.request('GET', '/api/stats', { token, headers: { connection: 'close' } }),
      ),
    );
    assert.equal(result.res.status, 200, result.res.text);
    assert.equal(result.exit.code, 0);
    assert.equal(named(events, 'stats_viewed').length, 1);
  });

  it('exits once in-flight requests are done, without waiting for idle keep-alive connections', async () => {
    // Browsers and proxies keep connections open; node:http's keep-alive agent
    // does too, and never closes an idle socket on its own.
    const agent = new Agent({ keepAlive: true });
    try {
      const { result } = await runScenario((api, sink) =>
        signalDuringRequest(api, sink, (token) => getJson(`${api.url}/api/stats`, { agent, token })),
      );
      assert.equal(result.res.status, 200);
      assert.equal(result.exit.code, 0);
      assert.ok(
        result.exitDelayMs < 2000,
        `the server took ${Math.round(result.exitDelayMs)} ms to exit after answering the last request; ` +
          'it should close idle keep-alive connections once shutting down',
      );
    } finally {
      agent.destroy();
    }
  });

  it('exits 0 and flushes on SIGINT too', async () => {
    const sink = await startCaptureSink();
    const server = await startServer({ sink });
    try {
      await server.signup();
      const { code } = await server.stop('SIGINT');
      assert.equal(code, 0, server.output.stderr);
      assert.deepEqual(namesOf(sink.events), ['$identify', 'user_signed_up']);
    } finally {
      await server.kill();
      await sink.close();
    }
  });
});

// Container runtimes send SIGKILL 10 s after SIGTERM; the server must be gone
// well before, whatever PostHog or a client does.
const SHUTDOWN_BOUND_MS = 6000;
const STACK_LINE = /^\s+at .+:\d+/m;

/** Signals the server and resolves with its exit, how long it took and everything it printed. */
async function timedStop(server: TestServer, signal: NodeJS.Signals = 'SIGTERM') {
  const started = performance.now();
  const exit = await server.stop(signal);
  const output = `${server.output.stdout}\n${server.output.stderr}`;
  return { ...exit, ms: performance.now() - started, output };
}

function assertBoundedExit({ code, ms, output }: Exit & { ms: number; output: string }, events: number) {
  assert.equal(code, 0, output);
  assert.ok(ms < SHUTDOWN_BOUND_MS, `shutdown took ${Math.round(ms)} ms:\n${output}`);
  assert.doesNotMatch(output, STACK_LINE, 'no stack trace in the output');
  const lines = output.split('\n').filter((line) => /not delivered/.test(line));
  assert.equal(lines.length, 1, `one line saying what was lost, got:\n${output}`);
  assert.match(lines[0], new RegExp(`\\b${events} events? not delivered`));
}

describe('shutdown while PostHog is unreachable', { concurrency: true }, () => {
  it('exits promptly when nothing listens on the PostHog port, saying how many events were lost', async () => {
    const server = await startServer({ env: { POSTHOG_HOST: UNREACHABLE_POSTHOG } });
    try {
      await server.signup();
      assertBoundedExit(await timedStop(server), 2);
    } finally {
      await server.kill();
    }
  });

  it('exits promptly when PostHog accepts the connection but never answers', async () => {
    const sink = await startCaptureSink();
    sink.setMode('stall');
    const server = await startServer({ sink });
    try {
      await server.signup();
      assertBoundedExit(await timedStop(server, 'SIGINT'), 2);
      assert.deepEqual(sink.events, []);
    } finally {
      await server.kill();
      await sink.close();
    }
  });

  it('reports failed deliveries in one line per kind of problem, without stack traces', async () => {
    const server = await startServer({ env: { POSTHOG_HOST: UNREACHABLE_POSTHOG } });
    try {
      await server.signup();
      // The SDK retries a failed batch three times, 3 s apart, then reports it.
      const line = await server.waitForOutput(/cannot be reached/, { timeout: 20_000 });
      assert.match(line, /ECONNREFUSED/);
      assert.ok(line.includes(UNREACHABLE_POSTHOG), line);
      const { output } = await timedStop(server);
      assert.equal(output.split('\n').filter((text) => /cannot be reached/.test(text)).length, 1, output);
      assert.doesNotMatch(output, STACK_LINE);
    } finally {
      await server.kill();
    }
  });

  it('a second SIGTERM exits at once and says what it dropped', async () => {
    const sink = await startCaptureSink();
    sink.setMode('stall');
    const server = await startServer({ sink });
    try {
      await server.signup();
      server.signal('SIGTERM');
      await server.waitForOutput(/SIGTERM received/);
      const started = performance.now();
      server.signal('SIGTERM');
      const { code } = await server.exited;
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `the second SIGTERM took ${Math.round(ms)} ms`);
      assert.equal(code, 128 + 15, 'the exit code says it was cut short by SIGTERM');
      assert.match(server.output.stderr, /SIGTERM again: exiting now; 2 PostHog events not delivered/);
    } finally {
      await server.kill();
      await sink.close();
    }
  });

  it('a request whose body never arrives does not hold the exit past the bound', async () => {
    const sink = await startCaptureSink();
    const server = await startServer({ sink });
    const { hostname, port } = new URL(server.url);
    const socket = connect({ host: hostname, port: Number(port) });
    socket.on('error', () => {});
    try {
      await server.signup();
      // Expect: 100-continue makes the server say when it has the headers.
      socket.write(
        `POST /api/auth/login HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n` +
          'Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n{"email":',
      );
      await new Promise((resolve) => socket.once('data', resolve));
      const stopped = await timedStop(server);
      assert.equal(stopped.code, 0, stopped.output);
      assert.ok(stopped.ms < SHUTDOWN_BOUND_MS, `shutdown took ${Math.round(stopped.ms)} ms`);
      assert.deepEqual(namesOf(sink.events), ['$identify', 'user_signed_up'], 'the events still reach PostHog');
    } finally {
      socket.destroy();
      await server.kill();
      await sink.close();
    }
  });
});

describe('configuration', { concurrency: true }, () => {
  for (const [what, env] of Object.entries<Record<string, string>>({
    'no token': {},
    'an empty token': { POSTHOG_PROJECT_TOKEN: '' },
  })) {
    it(`with ${what} the API works, PostHog is off and says so once`, async () => {
      const { result: output, requests } = await runScenario(
        async (api) => {
          const { token } = await api.signup();
          await api.addTodo(token);
          const stats = await api.request('GET', '/api/stats', { token });
          assert.equal(stats.status, 200);
          assert.equal((await api.request('GET', '/debug/error')).status, 500);
          return api.output;
        },
        { token: null, env },
      );
      assert.deepEqual(requests, [], 'nothing at all reached the PostHog host');
      const notices = disabledNotices(output);
      assert.equal(
        notices.length,
        1,
        `expected one "PostHog is disabled" line, got:\n${output.stdout}\n${output.stderr}`,
      );
    });
  }

  it('reads POSTHOG_API_KEY when POSTHOG_PROJECT_TOKEN is not set', async () => {
    const key = newProjectToken();
    const { events, server } = await runScenario((api) => api.signup(), {
      token: null,
      env: { POSTHOG_API_KEY: key },
    });
    assert.equal(server.token, key);
    assert.deepEqual(namesOf(events), ['$identify', 'user_signed_up']);
    assert.ok(events.every((event) => event.api_key === key));
    assert.deepEqual(disabledNotices(server.output), []);
  });

  it("POSTHOG_DEBUG=true turns on the SDK's debug logging", async () => {
    const sdkLog = /\[PostHog\]/;
    const quiet = await runScenario((api) => api.signup());
    assert.doesNotMatch(quiet.server.output.stdout + quiet.server.output.stderr, sdkLog);
    const chatty = await runScenario((api) => api.signup(), { env: { POSTHOG_DEBUG: 'true' } });
    assert.match(chatty.server.output.stdout + chatty.server.output.stderr, sdkLog);
  });

  it('with NODE_ENV=production /debug/error is a 404 and nothing is reported', async () => {
    const { result, events } = await runScenario(
      async (api) => {
        const res = await api.request('GET', '/debug/error');
        assert.equal((await api.request('GET', '/health')).status, 200);
        return res;
      },
      { env: { NODE_ENV: 'production' } },
    );
    assertError(result, 404);
    assert.deepEqual(events, []);
  });
});

describe('POSTHOG_HOST', { concurrency: true }, () => {
  it('without a scheme is refused at start-up in one line', async () => {
    await assert.rejects(startServer({ env: { POSTHOG_HOST: 'us.i.posthog.com' } }), (error: Error) => {
      assert.match(error.message, /exited \(code 1/);
      const stderr = error.message.split('--- stderr ---\n')[1].trim();
      assert.equal(stderr.split('\n').length, 1, stderr);
      assert.match(stderr, /POSTHOG_HOST must be an http:\/\/ or https:\/\/ URL.*https:\/\/us\.i\.posthog\.com/);
      return true;
    });
  });

  for (const bad of ['ftp://example.com', 'https://user:secret@example.com', 'https://example.com/?x=1']) {
    it(`${bad} is refused`, async () => {
      await assert.rejects(startServer({ env: { POSTHOG_HOST: bad } }), (error: Error) => {
        assert.match(error.message, /exited \(code 1[\s\S]*POSTHOG_HOST must/);
        assert.doesNotMatch(error.message, /secret/, 'a password in the URL is never printed');
        return true;
      });
    });
  }

  it('accepts a reverse-proxy path, and says where events go (never the token)', async () => {
    const sink = await startCaptureSink();
    const server = await startServer({ env: { POSTHOG_HOST: `${sink.url}/ingest/` } });
    try {
      const lines = server.output.stdout.split('\n').filter((line) => line.includes('sending events to'));
      assert.deepEqual(
        lines.map((line) => line.slice(line.indexOf('PostHog:'))),
        [`PostHog: sending events to ${sink.url}/ingest`],
      );
      assert.ok(
        !`${server.output.stdout}${server.output.stderr}`.includes(server.token!),
        'the token is never printed',
      );
      await stopCleanly(server);
    } finally {
      await server.kill();
      await sink.close();
    }
  });
});

describe('listening', () => {
  it('prints the real port when PORT=0 and serves on it', async () => {
    const sink = await startCaptureSink();
    const server = await startServer({ sink });
    try {
      const { port } = new URL(server.url);
      assert.notEqual(port, '0');
      const lines = server.output.stdout.split('\n').filter((line) => line.includes('listening on'));
      assert.equal(lines.length, 1, server.output.stdout);
      assert.match(lines[0], new RegExp(`listening on http://127\\.0\\.0\\.1:${port}\\b`));
      assert.equal((await server.request('GET', '/health')).status, 200);
      await stopCleanly(server);
    } finally {
      await server.kill();
      await sink.close();
    }
  });
});
