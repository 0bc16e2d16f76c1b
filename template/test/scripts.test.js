// The project's own tools: the capture sink behind `npm run posthog:inspect`
// and the setup check behind `npm run posthog:check`.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { PostHog } from 'posthog-node';
import { checkNodeVersion, SUPPORTED_NODE } from '../scripts/check-node.js';
import { newProjectToken, UNREACHABLE_POSTHOG } from './support/client.js';
import { startCaptureSink } from './support/server.js';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

function cleanEnv(extra) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(POSTHOG_|NODE_TEST_CONTEXT$)/.test(name)),
  );
  return { ...env, ...extra };
}

function runCheck(env) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/posthog-check.js'],
      { cwd: PROJECT_ROOT, env: cleanEnv(env) },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }),
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
    // The sink is not PostHog: no promise that the event shows up there.
    assert.match(stdout, /local capture sink/);
    assert.doesNotMatch(stdout, /PostHog is set up|shows up in PostHog/);
    const events = sink.events.filter((event) => event.api_key === token);
    assert.deepEqual(
      events.map((event) => event.event),
      ['posthog_setup_checked'],
    );
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

  for (const [key, kind] of [
    ['phx_personal0123456789', /personal API key/],
    ['phs_secret0123456789', /POSTHOG_SECRET_KEY/],
    ['sk_live_0123456789', /secret key/],
  ]) {
    it(`refuses ${key.split('_')[0]}_... keys before sending anything`, async () => {
      const { code, stdout, stderr } = await runCheck({ POSTHOG_PROJECT_TOKEN: key, POSTHOG_HOST: sink.url });
      assert.equal(code, 1, stdout);
      assert.match(stderr, kind);
      assert.match(stderr, /phc_/);
      assert.ok(!stderr.includes(key), 'the key itself is not printed');
      const sentWithIt = sink.requests.filter((request) => JSON.stringify(request.body ?? '').includes(key));
      assert.deepEqual(sentWithIt, [], 'nothing was sent with it');
    });
  }

  it('refuses a POSTHOG_HOST without a scheme', async () => {
    const { code, stderr } = await runCheck({
      POSTHOG_PROJECT_TOKEN: newProjectToken(),
      POSTHOG_HOST: 'us.i.posthog.com',
    });
    assert.equal(code, 1);
    assert.match(stderr, /POSTHOG_HOST must be an http:\/\/ or https:\/\/ URL/);
  });

  it('fails when PostHog cannot be reached', async () => {
    const { code, stderr } = await runCheck({
      POSTHOG_PROJECT_TOKEN: newProjectToken(),
      POSTHOG_HOST: UNREACHABLE_POSTHOG,
    });
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
      assert.deepEqual(
        events.map((event) => event.properties.n),
        [1, 2],
      );
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

      assert.deepEqual(
        sink.events.map((event) => [event.event, event.distinct_id, event.api_key]),
        [
          ['js_event', 'browser', 'phc_js'],
          ['js_event', 'browser', 'phc_js'],
          ['js_event', 'browser', 'phc_js'],
        ],
      );
    } finally {
      await sink.close();
    }
  });

  it("answers posthog-js's remote config, as a script and as JSON", async () => {
    const sink = await startCaptureSink({ flags: { 'detailed-analytics': true } });
    try {
      const script = await fetch(`${sink.url}/array/phc_page/config.js`);
      assert.equal(script.status, 200);
      assert.match(script.headers.get('content-type') ?? '', /javascript/);
      // What posthog-js does with it: run it, then read window._POSTHOG_REMOTE_CONFIG[token].config.
      const window = {};
      runInNewContext(await script.text(), { window });
      // Through JSON: objects made in the vm's realm are not deepEqual to this realm's.
      const { config, siteApps } = JSON.parse(JSON.stringify(window._POSTHOG_REMOTE_CONFIG.phc_page));
      assert.equal(config.token, 'phc_page');
      assert.equal(config.hasFeatureFlags, true);
      assert.equal(config.sessionRecording, false, 'nothing the sink cannot stand in for');
      assert.deepEqual(siteApps, []);

      const json = await fetch(`${sink.url}/array/phc_page/config`);
      assert.equal(json.status, 200);
      assert.deepEqual(await json.json(), config);
      assert.deepEqual(await (await fetch(`${sink.url}/api/surveys/?token=phc_page`)).json(), { surveys: [] });
    } finally {
      await sink.close();
    }
  });

  it("serves posthog-js extension scripts from the project's own posthog-js", async () => {
    const sink = await startCaptureSink();
    try {
      let dist;
      try {
        dist = createRequire(import.meta.url)
          .resolve('posthog-js/dist/module.full.js')
          .replace(/module\.full\.js$/, '');
      } catch {
        // A project without the browser page has no posthog-js: nothing to serve.
      }
      const res = await fetch(`${sink.url}/static/surveys.js?v=1`);
      if (dist) {
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /javascript/);
        assert.equal(await res.text(), readFileSync(`${dist}surveys.js`, 'utf8'));
        assert.equal((await fetch(`${sink.url}/static/1.2.3/surveys.js`)).status, 200, 'strict_script_versioning path');
      } else {
        assert.equal(res.status, 404);
        await res.text();
      }
      assert.equal((await fetch(`${sink.url}/static/nothing-like-this.js`)).status, 404);
      assert.equal((await fetch(`${sink.url}/static/..%2Fpackage.json`)).status, 404);
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
    const body = {
      api_key: 'phc_cli',
      batch: [
        { event: 'todo_added', distinct_id: 'user-1', properties: { $session_id: 'session-1', title_length: 8 } },
      ],
    };
    const res = await fetch(`${url}/batch/`, {
      method: 'POST',
      body: gzipSync(JSON.stringify(body)),
      headers: { 'content-encoding': 'gzip' },
    });
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

describe('Node.js version check', () => {
  it('accepts the supported lines and refuses the rest', () => {
    for (const node of ['22.22.0', '22.23.1', '24.0.0', '24.21.0', '26.0.0', '27.1.0']) {
      assert.equal(checkNodeVersion({ node }), null, node);
    }
    for (const node of ['18.20.4', '20.20.0', '22.21.1', '23.11.0', '25.2.0']) {
      const message = checkNodeVersion({ node });
      assert.match(message, new RegExp(`this is Node\\.js ${node.replaceAll('.', '\\.')}`));
      assert.match(message, /22\.22.*24.*26/);
    }
  });

  it('agrees with "engines", and every npm script runs it first', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    assert.equal(pkg.engines.node, SUPPORTED_NODE);
    for (const [name, script] of Object.entries(pkg.scripts)) {
      // `typecheck` runs the TypeScript compiler, none of the project's code.
      if (!script.startsWith('node ')) continue;
      // The test runner does not preload --import in its own process, so `test` runs the check on its own first.
      assert.match(
        script.match(/\S+\.js\b/)?.[0] ?? '',
        /check-node\.js$/,
        `npm run ${name} runs the check first: ${script}`,
      );
    }
  });

  it("stops an old Node with one line, before the project's code runs", async () => {
    const pretendNode20 =
      'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"20.20.0"}})';
    const { code, stdout, stderr } = await new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', pretendNode20, '--import', './scripts/check-node.js', 'src/server.js'],
        { cwd: PROJECT_ROOT, env: cleanEnv({ PORT: '0', HOST: '127.0.0.1' }) },
        (error, stdout, stderr) => resolve({ code: error?.code ?? 0, stdout, stderr }),
      );
    });
    assert.equal(code, 1);
    assert.equal(stdout, '', 'the server never started');
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /needs Node\.js 22\.22 or newer.*this is Node\.js 20\.20\.0/);
  });
});
