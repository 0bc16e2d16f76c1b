// The detailed-analytics flag behind GET /api/stats, evaluated remotely (one
// /flags request per read) and locally (POSTHOG_SECRET_KEY: definitions polled
// in the background, no request per read).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { newProjectToken, UNREACHABLE_POSTHOG } from './support/client.js';
import { only } from './support/events.js';
import { runScenario, startApp, startCaptureSink } from './support/in-process.js';

const FLAG = 'detailed-analytics';
const DEFINITIONS = '/flags/definitions';

const newSecretKey = () => `phs_test_${randomBytes(12).toString('hex')}`;
const isFlagsRequest = (request) => /^\/(flags|decide)\/?$/.test(request.path);
const isDefinitionsRequest = (request) => request.path.replace(/\/+$/, '') === DEFINITIONS;
const flagsRequests = (sink) => sink.requests.filter(isFlagsRequest);

// PostHog's rollout bucket, written out here rather than imported from the sink
// so that a sink hashing differently from posthog-node fails these tests.
function inRollout(distinctId, percent) {
  const hex = createHash('sha1').update(`${FLAG}.${distinctId}`).digest('hex');
  return Number.parseInt(hex.slice(0, 15), 16) / 0xfffffffffffffff <= percent / 100;
}

/** Signs users up until there is one on each side of the rollout. */
async function usersOnBothSides(server, percent) {
  const found = {};
  for (let attempt = 0; attempt < 40 && !(found.included && found.excluded); attempt++) {
    const account = await server.signup();
    found[inRollout(account.user.id, percent) ? 'included' : 'excluded'] ??= account;
  }
  assert.ok(found.included && found.excluded, 'could not find users on both sides of the rollout');
  return found;
}

async function stats(server, token) {
  const res = await server.request('GET', '/api/stats', { token });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** Starts an app against `sink`; /api/stats must answer, flag off, well inside the 1 s flags timeout. */
async function assertPromptlyOff(sink, env) {
  const server = await startApp({ sink, env });
  try {
    const { token } = await server.signup();
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      assert.equal((await stats(server, token)).todos, undefined);
      // Waiting on PostHog would take the full 1 s flags timeout; the margin
      // below it is for a loaded machine, not a speed target.
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 900, `/api/stats took ${Math.round(elapsed)} ms`);
    }
  } finally {
    await server.stop();
  }
}

describe('feature flags', { concurrency: true }, () => {
  it('remote evaluation: one /flags request per /api/stats, none for definitions', async () => {
    const { events, requests } = await runScenario(
      async (server, sink) => {
        const { token } = await server.signup();
        await server.addTodo(token);
        const before = flagsRequests(sink).length;
        for (let i = 0; i < 3; i++) assert.ok(Array.isArray((await stats(server, token)).todos));
        assert.equal(flagsRequests(sink).length - before, 3);
      },
      { flags: { [FLAG]: true } },
    );
    assert.equal(requests.filter(isDefinitionsRequest).length, 0);
    assert.equal(events.filter((event) => event.event === 'stats_viewed').length, 3);
  });

  it("remote evaluation follows a percentage rollout with PostHog's hashing", async () => {
    const { events, result } = await runScenario(
      async (server) => {
        const users = await usersOnBothSides(server, 50);
        assert.ok(Array.isArray((await stats(server, users.included.token)).todos));
        assert.equal((await stats(server, users.excluded.token)).todos, undefined);
        return users;
      },
      { flags: { [FLAG]: '50%' } },
    );
    const viewed = events.filter((event) => event.event === 'stats_viewed');
    const byUser = Object.fromEntries(viewed.map((event) => [event.distinct_id, event.properties.detailed_analytics]));
    assert.deepEqual(byUser, { [result.included.user.id]: true, [result.excluded.user.id]: false });
  });

  it('local evaluation: no /flags request once definitions are loaded; rollout as PostHog hashes it', async () => {
    const secretKey = newSecretKey();
    const sink = await startCaptureSink({ flags: { [FLAG]: '50%' }, secretKey });
    let server;
    try {
      server = await startApp({ sink, env: { POSTHOG_SECRET_KEY: secretKey } });
      // The app waits for the first definitions before it listens.
      const loaded = sink.requests.filter(isDefinitionsRequest);
      assert.equal(loaded.length, 1);
      assert.equal(loaded[0].status, 200);
      assert.equal(loaded[0].headers.authorization, `Bearer ${secretKey}`);
      assert.equal(loaded[0].query.token, server.token);

      const users = await usersOnBothSides(server, 50);
      await server.addTodo(users.included.token);
      const included = await stats(server, users.included.token);
      assert.equal(included.todos?.length, 1, 'the flag is on for a user inside the rollout');
      assert.equal((await stats(server, users.excluded.token)).todos, undefined, 'and off for one outside it');
      assert.equal(flagsRequests(sink).length, 0, 'no /flags request with local evaluation');

      await server.stop();
      const viewed = sink.events.filter((event) => event.event === 'stats_viewed');
      const inEvent = only(
        viewed.filter((event) => event.distinct_id === users.included.user.id),
        'stats_viewed',
      );
      const outEvent = only(
        viewed.filter((event) => event.distinct_id === users.excluded.user.id),
        'stats_viewed',
      );
      assert.equal(inEvent.properties.detailed_analytics, true);
      assert.equal(inEvent.properties[`$feature/${FLAG}`], true);
      assert.equal(outEvent.properties.detailed_analytics, false);
      const output = server.output.stdout + server.output.stderr;
      assert.ok(!output.includes(secretKey), 'the secret key is never printed');
      for (const event of sink.events) {
        assert.ok(!JSON.stringify(event).includes(secretKey), `${event.event} carries the secret key`);
      }
    } finally {
      await server?.stop();
      await sink.close();
    }
  });

  it('local evaluation keeps working when the definitions endpoint goes down after loading', async () => {
    const secretKey = newSecretKey();
    await runScenario(
      async (server, sink) => {
        const { token } = await server.signup();
        sink.setMode('error500', { endpoint: 'definitions' });
        // Two more polls: the first of them has certainly been answered 500.
        const polls = sink.requests.filter(isDefinitionsRequest).length;
        await sink.waitForRequest(isDefinitionsRequest, { count: polls + 2 });
        assert.ok(sink.requests.some((request) => isDefinitionsRequest(request) && request.status === 500));
        for (let i = 0; i < 3; i++) assert.ok(Array.isArray((await stats(server, token)).todos), 'flag still on');
        assert.equal(flagsRequests(sink).length, 0);
      },
      { flags: { [FLAG]: true }, env: { POSTHOG_SECRET_KEY: secretKey, POSTHOG_FLAGS_POLL_INTERVAL_MS: '200' } },
    );
  });

  it('a wrong secret key: flag off, the route answers, one warning without the key', async () => {
    const wrongKey = newSecretKey();
    const { server, requests } = await runScenario(
      async (server, sink) => {
        const { token } = await server.signup();
        // Let the poller be refused a few more times (it backs off: 400, 800 ms...).
        await sink.waitForRequest(isDefinitionsRequest, { count: 3 });
        for (let i = 0; i < 3; i++) assert.equal((await stats(server, token)).todos, undefined);
        assert.equal(flagsRequests(sink).length, 0, 'no fallback to /flags while definitions are missing');
      },
      {
        flags: { [FLAG]: true },
        sinkOptions: { secretKey: newSecretKey() },
        env: { POSTHOG_SECRET_KEY: wrongKey, POSTHOG_FLAGS_POLL_INTERVAL_MS: '200' },
      },
    );
    const refused = requests.filter((request) => isDefinitionsRequest(request) && request.status === 401);
    assert.ok(refused.length >= 2, `expected repeated 401s, got ${refused.length}`);
    const output = server.output.stdout + server.output.stderr;
    const warnings = output.split('\n').filter((line) => line.includes('POSTHOG_SECRET_KEY'));
    assert.equal(warnings.length, 1, `one warning, got:\n${output}`);
    assert.match(warnings[0], /rejected POSTHOG_SECRET_KEY \(HTTP 401\)/);
    assert.ok(!output.includes(wrongKey), 'the secret key is never printed');
  });

  it('local evaluation with PostHog unreachable from the start: flag off, answered promptly', async () => {
    await assertPromptlyOff(undefined, { POSTHOG_HOST: UNREACHABLE_POSTHOG, POSTHOG_SECRET_KEY: newSecretKey() });
  });

  it('local evaluation with a PostHog that never answers the definitions request: flag off, answered promptly', async () => {
    const sink = await startCaptureSink({ flags: { [FLAG]: true } });
    sink.setMode('stall', { endpoint: 'definitions' });
    try {
      await assertPromptlyOff(sink, { POSTHOG_SECRET_KEY: newSecretKey() });
      assert.equal(flagsRequests(sink).length, 0, 'no fallback to /flags');
    } finally {
      await sink.close();
    }
  });

  it('a project token given as POSTHOG_SECRET_KEY is one clear configuration error', async () => {
    const token = `phc_${randomBytes(12).toString('hex')}`;
    await assert.rejects(startApp({ env: { POSTHOG_SECRET_KEY: token } }), (error) => {
      assert.match(error.message, /POSTHOG_SECRET_KEY holds a project token/);
      assert.ok(!error.message.includes(token.slice(4)), 'the key is not echoed');
      return true;
    });
  });
});

describe('npm run posthog:check with POSTHOG_SECRET_KEY', { concurrency: true }, () => {
  const projectRoot = fileURLToPath(new URL('../', import.meta.url));
  const runCheck = (env) =>
    new Promise((resolve) => {
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !/^(POSTHOG_|NODE_TEST_CONTEXT$)/.test(name)),
      );
      execFile(
        process.execPath,
        ['scripts/posthog-check.js'],
        { cwd: projectRoot, env: { ...clean, ...env } },
        (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }),
      );
    });

  it('says the definitions loaded', async () => {
    const secretKey = newSecretKey();
    const sink = await startCaptureSink({ flags: { [FLAG]: '50%' }, secretKey });
    try {
      const { code, stdout, stderr } = await runCheck({
        POSTHOG_PROJECT_TOKEN: newProjectToken(),
        POSTHOG_HOST: sink.url,
        POSTHOG_SECRET_KEY: secretKey,
      });
      assert.equal(code, 0, stderr);
      assert.match(stdout, /Local evaluation works: .*1 flag definition\(s\).*detailed-analytics among them/);
      assert.ok(!(stdout + stderr).includes(secretKey));
    } finally {
      await sink.close();
    }
  });

  it('says plainly when PostHog rejects the secret key, without printing it', async () => {
    const sink = await startCaptureSink({ secretKey: newSecretKey() });
    const wrongKey = newSecretKey();
    try {
      const { code, stdout, stderr } = await runCheck({
        POSTHOG_PROJECT_TOKEN: newProjectToken(),
        POSTHOG_HOST: sink.url,
        POSTHOG_SECRET_KEY: wrongKey,
      });
      assert.equal(code, 1);
      assert.match(stderr, /rejected POSTHOG_SECRET_KEY \(HTTP 401: Incorrect authentication credentials\.\)/);
      assert.ok(!(stdout + stderr).includes(wrongKey));
    } finally {
      await sink.close();
    }
  });
});
