// The browser page (public/): served at /, with posthog-js from node_modules,
// security headers that keep scripts and connections to this origin, and a
// config route that exposes the project token and where posthog-js sends
// events (the relay, test/relay.test) and nothing else. Static files are no
// part of the API's event or error reporting.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { assertError } from './support/client.js';
import { runScenario, startApp } from './support/in-process.js';

/** Starts downloading `path` and hangs up after the first chunk, as a closed browser tab would. */
function abandonDownload(baseUrl, path) {
  return new Promise((resolve, reject) => {
    const req = get(new URL(path, baseUrl), (res) => {
      res.once('data', () => {
        req.destroy();
        resolve(res.statusCode);
      });
    });
    req.on('error', (error) => (error.code === 'ECONNRESET' ? resolve(0) : reject(error)));
  });
}

// The project's relay path: package.json's default, as the app gets it.
const RELAY = loadConfig({}).posthog.proxyPath;

describe('the browser page', { concurrency: true }, () => {
  it('GET / serves the page, its script and stylesheet, and posthog-js from node_modules', async () => {
    await runScenario(async (api) => {
      const page = await api.request('GET', '/');
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type'), /text\/html/);
      assert.match(page.text, /<script type="module" src="\/app\.js"><\/script>/);
      assert.equal((await api.request('GET', '/index.html')).text, page.text);
      const head = await api.request('HEAD', '/');
      assert.equal(head.status, 200);

      const script = await api.request('GET', '/app.js');
      assert.equal(script.status, 200);
      assert.match(script.headers.get('content-type'), /javascript/);
      assert.match(script.text, /tracing_headers/);
      assert.match((await api.request('GET', '/style.css')).headers.get('content-type'), /text\/css/);

      const posthogJs = await api.request('GET', '/vendor/posthog-js/module.full.js');
      assert.equal(posthogJs.status, 200);
      assert.match(posthogJs.headers.get('content-type'), /javascript/);
      assert.ok(posthogJs.text.length > 100_000, 'the full posthog-js build');
    });
  });

  it('serves every file with a CSP that keeps scripts and connections to this origin', async () => {
    await runScenario(async (api) => {
      for (const path of ['/', '/index.html', '/app.js', '/style.css', '/vendor/posthog-js/module.full.js']) {
        const res = await api.request('GET', path);
        assert.equal(res.status, 200, path);
        const policy = Object.fromEntries(
          res.headers
            .get('content-security-policy')
            .split(';')
            .map((directive) => directive.trim().split(/\s+/))
            .map(([name, ...sources]) => [name, sources]),
        );
        assert.deepEqual(policy['script-src'], ["'self'"], path);
        assert.deepEqual(policy['connect-src'], ["'self'"], path);
        assert.deepEqual(policy['default-src'], ["'self'"], path);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
        assert.equal(res.headers.get('referrer-policy'), 'strict-origin-when-cross-origin', path);
      }
    });
  });

  it('GET /posthog-config.json exposes the project token and where posthog-js sends events, nothing else', async () => {
    const { result, server } = await runScenario(
      async (api, sink) => {
        const res = await api.request('GET', '/posthog-config.json');
        return { res, sinkUrl: sink.url };
      },
      { env: { SOME_SECRET: 'must-not-leak', POSTHOG_DEBUG: 'true' } },
    );
    assert.equal(result.res.status, 200);
    assert.match(result.res.headers.get('content-type'), /application\/json/);
    // The relay on this origin; PostHog's app is the custom host itself (here the sink).
    assert.deepEqual(result.res.body, { token: server.token, apiHost: RELAY, uiHost: result.sinkUrl });
    assert.ok(!result.res.text.includes('must-not-leak'));
  });

  it("posthog-js's ui_host is PostHog's app for the cloud, and POSTHOG_PROXY_PATH moves the relay", async () => {
    for (const [host, uiHost] of [
      ['https://us.i.posthog.com', 'https://us.posthog.com'],
      ['https://eu.i.posthog.com', 'https://eu.posthog.com'],
    ]) {
      const server = await startApp({ env: { POSTHOG_HOST: host, POSTHOG_PROXY_PATH: '/elsewhere/r2' } });
      try {
        const res = await server.request('GET', '/posthog-config.json');
        assert.deepEqual(res.body, { token: server.token, apiHost: '/elsewhere/r2', uiHost });
      } finally {
        // Its PostHog is not reachable from here; nothing was captured to deliver.
        assert.equal(await server.stop(), 0);
      }
    }
  });

  it('without a token the config says so, and the page runs without analytics', async () => {
    const server = await startApp({ token: null });
    try {
      const res = await server.request('GET', '/posthog-config.json');
      assert.equal(res.status, 200);
      assert.equal(res.body.token, null);
      assert.deepEqual(Object.keys(res.body).sort(), ['apiHost', 'token', 'uiHost']);
      assert.equal((await server.request('GET', '/')).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('anything that is not a file is still a JSON 404', async () => {
    await runScenario(async (api) => {
      for (const [method, path] of [
        ['GET', '/nope.html'],
        ['GET', '/api/nope'],
        ['GET', '/public/app.js'],
        ['GET', '/vendor/posthog-js'],
        ['GET', '/vendor/posthog-js/'],
        ['GET', '/vendor/posthog-js/nope.js'],
        ['GET', '/package.json'],
        ['GET', '/src/server.js'],
        ['POST', '/'],
        ['DELETE', '/app.js'],
        ['POST', '/posthog-config.json'],
      ]) {
        const res = await api.request(method, path);
        assertError(res, 404);
      }
    });
  });

  it('static files capture no events and report no errors, even when the client hangs up', async () => {
    const { events } = await runScenario(async (api) => {
      const tracing = { 'x-posthog-distinct-id': 'anon-static', 'x-posthog-session-id': 'session-static' };
      for (const path of [
        '/',
        '/app.js',
        '/style.css',
        '/posthog-config.json',
        '/vendor/posthog-js/module.full.js',
        '/nope.js',
      ]) {
        await api.request('GET', path, { headers: tracing });
      }
      for (let i = 0; i < 5; i += 1) await abandonDownload(api.url, '/vendor/posthog-js/module.full.js');
      // Still serving after the hang-ups.
      assert.equal((await api.request('GET', '/health')).status, 200);
    });
    assert.deepEqual(
      events.map((event) => event.event),
      [],
    );
  });
});
