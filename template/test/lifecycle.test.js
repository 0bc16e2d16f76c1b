// Start-up and shutdown: configuration from the environment, a clean exit on
// a signal, and no event lost on the way out.
import assert from 'node:assert/strict';
import { Agent, get } from 'node:http';
import { describe, it } from 'node:test';
import { assertError } from './support/client.js';
import { named, namesOf } from './support/events.js';
import { newProjectToken, runScenario, startCaptureSink, startServer, stopCleanly } from './support/server.js';

function getJson(url, { agent, token }) {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
  });
}

const disabledNotices = (output) =>
  `${output.stdout}\n${output.stderr}`.split('\n').filter((line) => /posthog/i.test(line) && /disabled/i.test(line));

describe('shutdown', { concurrency: true }, () => {
  it('delivers every event captured before SIGTERM', async () => {
    const { result: user, events } = await runScenario(async (api) => {
      const { user, token } = await api.signup();
      // More than two SDK batches (flushAt 20), most still queued at the signal.
      for (let i = 1; i <= 50; i += 1) await api.addTodo(token, `todo ${i}`);
      return user;
    });
    const added = named(events, 'todo_added');
    assert.equal(added.length, 50);
    assert.deepEqual(
      added.map((event) => event.properties.total_todos).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.ok(added.every((event) => event.distinct_id === user.id));
    assert.equal(new Set(events.map((event) => event.uuid)).size, events.length, 'no event sent twice');
  });

  /**
   * Puts GET /api/stats in flight (its feature-flag call held by the sink),
   * sends SIGTERM once the stats request is inside the server, then lets it
   * finish. `send` makes the request; resolves with its response, the exit
   * and how long the server took to exit after answering.
   */
  async function signalDuringRequest(api, sink, send) {
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

describe('configuration', { concurrency: true }, () => {
  for (const [what, env] of Object.entries({
    'no token': {},
    'an empty token': { POSTHOG_PROJECT_TOKEN: '' },
  })) {
    it(`with ${what} the API works, PostHog is off and says so once`, async () => {
      const { result: output, requests } = await runScenario(async (api) => {
        const { token } = await api.signup();
        await api.addTodo(token);
        const stats = await api.request('GET', '/api/stats', { token });
        assert.equal(stats.status, 200);
        assert.equal((await api.request('GET', '/debug/error')).status, 500);
        return api.output;
      }, { token: null, env });
      assert.deepEqual(requests, [], 'nothing at all reached the PostHog host');
      const notices = disabledNotices(output);
      assert.equal(notices.length, 1, `expected one "PostHog is disabled" line, got:\n${output.stdout}\n${output.stderr}`);
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

  it('POSTHOG_DEBUG=true turns on the SDK\'s debug logging', async () => {
    const sdkLog = /\[PostHog\]/;
    const quiet = await runScenario((api) => api.signup());
    assert.doesNotMatch(quiet.server.output.stdout + quiet.server.output.stderr, sdkLog);
    const chatty = await runScenario((api) => api.signup(), { env: { POSTHOG_DEBUG: 'true' } });
    assert.match(chatty.server.output.stdout + chatty.server.output.stderr, sdkLog);
  });

  it('with NODE_ENV=production /debug/error is a 404 and nothing is reported', async () => {
    const { result, events } = await runScenario(async (api) => {
      const res = await api.request('GET', '/debug/error');
      assert.equal((await api.request('GET', '/health')).status, 200);
      return res;
    }, { env: { NODE_ENV: 'production' } });
    assertError(result, 404);
    assert.deepEqual(events, []);
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
