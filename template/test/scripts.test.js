// The project's own tools: the capture sink behind `npm run posthog:inspect`
// and the setup check behind `npm run posthog:check`.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { PostHog } from 'posthog-node';
import { newProjectToken, startCaptureSink } from './support/server.js';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

function cleanEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(POSTHOG_|NODE_TEST_CONTEXT$)/.test(name)));
  return { ...env, ...extra };
}

function runCheck(env) {
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/posthog-check.js'], { cwd: PROJECT_ROOT, env: cleanEnv(env) }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
}

describe('npm run posthog:check', { concurrency: true }, () => {
  let sink;
  before(async () => {
    sink = await startCaptureSink();
  });
  after(() => sink.close());

  it('sends one personless test event and reports success', async () => {
    const token = newProjectToken();
    const { code, stdout, stderr } = await runCheck({ POSTHOG_PROJECT_TOKEN: token, POSTHOG_HOST: sink.url });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /PostHog is set up/);
    const events = sink.events.filter((event) => event.api_key === token);
    assert.deepEqual(events.map((event) => event.event), ['posthog_setup_checked']);
    assert.equal(events[0].properties.$process_person_profile, false);
  });

  it('accepts POSTHOG_API_KEY as the token', async () => {
    const token = newProjectToken();
    const { code, stderr } = await runCheck({ POSTHOG_API_KEY: token, POSTHOG_HOST: sink.url });
    assert.equal(code, 0, stderr);
    assert.ok(sink.events.some((event) => event.api_key === token));
  });

  it('fails with a clear message when the token is missing', async () => {
    const { code, stderr } = await runCheck({ POSTHOG_HOST: sink.url });
    assert.equal(code, 1);
    assert.match(stderr, /POSTHOG_PROJECT_TOKEN/);
  });

  it('fails when PostHog cannot be reached', async () => {
    const closed = await startCaptureSink();
    await closed.close();
    const { code, stderr } = await runCheck({ POSTHOG_PROJECT_TOKEN: newProjectToken(), POSTHOG_HOST: closed.url });
    assert.equal(code, 1);
    assert.match(stderr, /Could not reach PostHog/);
  });

  it('fails when PostHog rejects the token', async () => {
    const rejecting = await startCaptureSink();
    rejecting.setMode('unauthorized');
    try {
      const { code, stderr } = await runCheck({ POSTHOG_PROJECT_TOKEN: 'phc_wrong', POSTHOG_HOST: rejecting.url });
      assert.equal(code, 1);
      assert.match(stderr, /rejected the token/);
    } finally {
      await rejecting.close();
    }
  });
});

describe('capture sink', { concurrency: true }, () => {
  it('receives posthog-node batches and answers its feature-flag requests', async () => {
    const sink = await startCaptureSink({ flags: (distinctId) => ({ 'detailed-analytics': distinctId === 'vip' }) });
    const posthog = new PostHog('phc_sink_test', { host: sink.url });
    try {
      const arrived = sink.waitFor('hello', { count: 2 });
      posthog.capture({ distinctId: 'someone', event: 'hello', properties: { n: 1 } });
      posthog.capture({ distinctId: 'someone', event: 'hello', properties: { n: 2 } });
      const vip = await posthog.evaluateFlags('vip', { flagKeys: ['detailed-analytics'] });
      const other = await posthog.evaluateFlags('other', { flagKeys: ['detailed-analytics'] });
      assert.equal(vip.isEnabled('detailed-analytics', { sendFeatureFlagEvents: false }), true);
      assert.equal(other.isEnabled('detailed-analytics', { sendFeatureFlagEvents: false }), false);
      await posthog.flush();
      const events = await arrived;
      assert.deepEqual(events.map((event) => event.properties.n), [1, 2]);
      assert.ok(events.every((event) => event.api_key === 'phc_sink_test' && event.distinct_id === 'someone'));
      const batch = sink.requests.find((request) => request.path === '/batch/');
      assert.equal(batch.headers['content-encoding'], 'gzip');
    } finally {
      await posthog.shutdown();
      await sink.close();
    }
  });

  it('accepts posthog-js payloads and survives bad input', async () => {
    const sink = await startCaptureSink();
    try {
      const post = (path, body, headers = {}) => fetch(`${sink.url}${path}`, { method: 'POST', body, headers });
      const single = { event: 'js_event', properties: { token: 'phc_js', distinct_id: 'browser' } };
      assert.equal((await post('/e/?compression=gzip-js', gzipSync(JSON.stringify(single)))).status, 200);
      assert.equal((await post('/i/v0/e/', JSON.stringify([single, single]))).status, 200);

      assert.equal((await post('/batch/', '{not json')).status, 400);
      assert.equal((await post('/batch/', Buffer.from([0x1f, 0x8b, 0, 1]))).status, 400);
      assert.equal((await post('/batch/', '', { 'content-encoding': 'gzip' })).status, 400);
      assert.equal((await fetch(`${sink.url}/unknown`)).status, 404);

      assert.deepEqual(sink.events.map((event) => [event.event, event.distinct_id, event.api_key]), [
        ['js_event', 'browser', 'phc_js'],
        ['js_event', 'browser', 'phc_js'],
        ['js_event', 'browser', 'phc_js'],
      ]);
    } finally {
      await sink.close();
    }
  });

  it('simulates an outage', async () => {
    const sink = await startCaptureSink();
    sink.setMode('error500');
    const posthog = new PostHog('phc_outage', { host: sink.url, fetchRetryCount: 0 });
    try {
      posthog.capture({ distinctId: 'someone', event: 'lost' });
      await assert.rejects(posthog.flush(), (error) => error.status === 500);
      assert.deepEqual(sink.events, []);
    } finally {
      await posthog.shutdown();
      await sink.close();
    }
  });

  it('prints events live from the command line and stops on Ctrl-C', async () => {
    const cli = spawn(process.execPath, ['scripts/capture-sink.js', '--port', '0', '--flag', 'detailed-analytics'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    cli.stdout.setEncoding('utf8');
    const url = await new Promise((resolve, reject) => {
      cli.stdout.on('data', (chunk) => {
        stdout += chunk;
        const match = /POSTHOG_HOST=(http:\/\/\S+)/.exec(stdout);
        if (match) resolve(match[1]);
      });
      cli.once('exit', () => reject(new Error(`capture sink exited early:\n${stdout}`)));
    });
    const printed = new Promise((resolve) => {
      cli.stdout.on('data', () => stdout.includes('title_length') && resolve());
    });
    const body = { api_key: 'phc_cli', batch: [{ event: 'todo_added', distinct_id: 'user-1', properties: { $session_id: 'session-1', title_length: 8 } }] };
    const res = await fetch(`${url}/batch/`, { method: 'POST', body: gzipSync(JSON.stringify(body)), headers: { 'content-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    await printed;
    assert.match(stdout, /todo_added/);
    assert.match(stdout, /user-1/);
    assert.match(stdout, /session-1/);
    assert.match(stdout, /detailed-analytics/);

    cli.kill('SIGINT');
    const [code] = await once(cli, 'exit');
    assert.equal(code, 0);
  });
});
