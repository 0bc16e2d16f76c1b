// Start-up and shutdown: configuration from the environment, a clean exit on
// a signal, and no event lost on the way out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError } from './support/client.js';
import { named, namesOf } from './support/events.js';
import { newProjectToken, runScenario, startCaptureSink, startServer, stopCleanly } from './support/server.js';

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

  it('lets an in-flight request finish, then flushes its event', async () => {
    const { result: response, events } = await runScenario(async (api, sink) => {
      const { token } = await api.signup();
      // Hold the server's feature-flag call so /api/stats is mid-request at the signal.
      sink.setMode('stall');
      const stats = api.request('GET', '/api/stats', { token });
      await sink.waitForRequest((request) => request.path.startsWith('/flags'));
      const stopped = api.stop();
      await api.waitUntilNotListening();
      sink.setMode('ok');
      const res = await stats;
      assert.equal((await stopped).code, 0);
      return res;
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(named(events, 'stats_viewed').length, 1);
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
      assert.match(server.output.stdout, new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`));
      assert.equal((await server.request('GET', '/health')).status, 200);
      await stopCleanly(server);
    } finally {
      await server.kill();
      await sink.close();
    }
  });
});
