// The page's analytics relay at POSTHOG_PROXY_PATH (src/relay.js, mounted the
// framework's way in src/http/): where each path goes and which headers pass,
// then the real thing over raw HTTP against a stand-in PostHog that keeps
// every request byte for byte: bodies and query strings unchanged both ways,
// 20 MB bodies, no cookie or credentials, and PostHog refusing or hanging.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../src/config.js';
import { relayFor, relayRequestHeaders, upstreamFor } from '../src/relay.js';
import { UNREACHABLE_POSTHOG } from './support/client.js';
import { namesOf } from './support/events.js';
import { startApp, startCaptureSink } from './support/in-process.js';
import { rawRequest } from './support/raw-http.js';

// The project's relay path: package.json's default, as the app gets it.
const RELAY = loadConfig({}).posthog.proxyPath;

/**
 * A stand-in PostHog that reads each request whole and keeps it, and
 * answers what `answer` says (by default 200 {"status":"Ok"}).
 */
async function startPostHog(answer = () => ({})) {
  const received = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const request = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
    received.push(request);
    const {
      status = 200,
      headers = { 'content-type': 'application/json' },
      body = '{"status":"Ok"}',
    } = answer(request);
    res.writeHead(status, headers).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A PostHog that accepts connections and never says a word. */
async function startSilentPostHog() {
  const sockets = new Set();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    // Reads (so a body can be sent) and never answers.
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What a raw response says, for an assertion's message. */
const why = (res) => ('error' in res ? res.error : res.body.toString().slice(0, 500));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
/** The relay's problem lines, each from its message on (a log line starts with its time and level). */
const relayLines = (stderr) =>
  stderr
    .split('\n')
    .filter((line) => line.includes('PostHog relay:'))
    .map((line) => line.slice(line.indexOf('PostHog relay:')));

describe('where the relay sends each request', () => {
  it('sends assets to the region assets host and the rest to POSTHOG_HOST, path and query as sent', () => {
    for (const [region, assets] of [
      ['us', 'https://us-assets.i.posthog.com'],
      ['eu', 'https://eu-assets.i.posthog.com'],
    ]) {
      const relay = relayFor(`https://${region}.i.posthog.com`, '/r7kx2mqd');
      assert.equal(relay.uiHost, `https://${region}.posthog.com`);
      for (const [rest, origin] of [
        ['/static/array.js', assets],
        ['/static/1.449.2/surveys.js?v=1', assets],
        ['/array/phc_abc/config.js', assets],
        ['/array/phc_abc/config', assets],
        ['/e/?ip=0&_=1700000000000&ver=1.449.2', `https://${region}.i.posthog.com`],
        ['/i/v0/e/?compression=gzip-js', `https://${region}.i.posthog.com`],
        ['/flags/?v=2&config=true', `https://${region}.i.posthog.com`],
        ['/s/?compression=gzip-js', `https://${region}.i.posthog.com`],
        ['/statistics', `https://${region}.i.posthog.com`],
      ]) {
        const upstream = upstreamFor(relay, rest);
        assert.equal(upstream?.origin, origin, rest);
        assert.equal(upstream?.path, rest, rest);
        assert.equal(upstream?.host, new URL(origin).host, rest);
      }
    }
  });

  it('sends everything to a custom host, after its own path; its app is the host itself', () => {
    const relay = relayFor('https://posthog.example.com/base', '/r7kx2mqd');
    assert.equal(relay.uiHost, 'https://posthog.example.com/base');
    assert.deepEqual(upstreamFor(relay, '/static/array.js'), {
      origin: 'https://posthog.example.com',
      host: 'posthog.example.com',
      path: '/base/static/array.js',
    });
    assert.equal(upstreamFor(relay, '/e/?ip=0')?.path, '/base/e/?ip=0');
  });

  it('refuses paths that could climb out of the host path', () => {
    const relay = relayFor('https://posthog.example.com/base', '/r7kx2mqd');
    for (const rest of ['/../admin', '/static/../../x', '/%2e%2e/x', '/%2E./x', '/./e/', '/a\\..\\x', '/%zz', 'e/']) {
      assert.equal(upstreamFor(relay, rest), null, rest);
    }
  });

  it('passes no cookie, credentials or hop-by-hop header; sets Host; appends the client to X-Forwarded-For', () => {
    const headers = relayRequestHeaders(
      {
        host: 'app.example.com',
        cookie: 'session=1',
        authorization: 'Bearer secret',
        'proxy-authorization': 'Basic x',
        connection: 'keep-alive, x-hop',
        'x-hop': 'gone',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        expect: '100-continue',
        'x-forwarded-for': '203.0.113.7',
        'content-type': 'text/plain',
        'content-encoding': 'gzip',
        'user-agent': 'Mozilla/5.0',
      },
      '::ffff:198.51.100.2',
      'us.i.posthog.com',
    );
    assert.deepEqual(headers, {
      host: 'us.i.posthog.com',
      'x-forwarded-for': '203.0.113.7, 198.51.100.2',
      'content-type': 'text/plain',
      'content-encoding': 'gzip',
      'user-agent': 'Mozilla/5.0',
    });
    assert.equal(relayRequestHeaders({}, '2001:db8::1', 'h')['x-forwarded-for'], '2001:db8::1');
  });
});

describe('the relay over HTTP', { concurrency: true }, () => {
  it('streams a gzip body and the query string through byte for byte, and PostHog answer back', async () => {
    const answerBody = gzipSync('{"status":1}');
    const posthog = await startPostHog(() => ({
      status: 200,
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-posthog-answer': 'yes',
        'set-cookie': 'ph=1; Domain=posthog.com',
      },
      body: answerBody,
    }));
    const server = await startApp({ env: { POSTHOG_HOST: posthog.url } });
    try {
      const body = gzipSync(
        JSON.stringify({ event: '$pageview', properties: { token: 'phc_x', distinct_id: 'anon' } }),
      );
      const path = `${RELAY}/e/?ip=0&_=1700000000000&ver=1.449.2&compression=gzip-js&odd=%27a%20b%27&flag`;
      const res = await rawRequest(server.url, {
        method: 'POST',
        path,
        headers: [
          ['Content-Type', 'text/plain'],
          ['Content-Encoding', 'gzip'],
          ['Cookie', 'session=abc'],
          ['Authorization', 'Bearer not-for-posthog'],
          ['X-Forwarded-For', '203.0.113.7'],
          ['X-POSTHOG-DISTINCT-ID', 'anon'],
        ],
        body,
      });
      assert.equal(res.status, 200, why(res));
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.equal(res.headers['x-posthog-answer'], 'yes');
      assert.equal(res.headers['set-cookie'], undefined, "PostHog's cookies stay at PostHog");
      assert.ok(res.body.equals(answerBody), 'the answer body, byte for byte');

      const [sent] = posthog.received;
      assert.equal(sent.method, 'POST');
      assert.equal(sent.url, path.slice(RELAY.length), 'the rest of the path and the query string, as sent');
      assert.ok(sent.body.equals(body), 'the gzip body, byte for byte');
      assert.equal(sent.headers.host, posthog.host);
      assert.equal(sent.headers['content-type'], 'text/plain');
      assert.equal(sent.headers['content-encoding'], 'gzip');
      assert.equal(sent.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
      assert.equal(sent.headers.cookie, undefined);
      assert.equal(sent.headers.authorization, undefined);

      // Assets (a custom host such as this one serves them itself) and every other method.
      for (const [method, rest] of [
        ['GET', '/static/array.js?v=1.449.2'],
        ['GET', '/array/phc_x/config.js'],
        ['HEAD', '/static/array.js'],
        ['OPTIONS', '/e/'],
        ['PUT', '/any/thing'],
        ['GET', ''],
      ]) {
        const answer = await rawRequest(server.url, { method, path: `${RELAY}${rest}` });
        assert.equal(answer.status, 200, `${method} ${rest}`);
        assert.deepEqual(
          [posthog.received.at(-1)?.method, posthog.received.at(-1)?.url],
          [method, rest || '/'],
          `${method} ${rest}`,
        );
      }
      // A path that would leave PostHog's own: a client error (Fastify's proxy
      // says 400, the others 404), and no request at all.
      const before = posthog.received.length;
      const climbing = await rawRequest(server.url, { path: `${RELAY}/%2e%2e/api/me` });
      assert.ok([400, 404].includes(climbing.status), why(climbing));
      assert.match(climbing.headers?.['content-type'] ?? '', /application\/json/);
      assert.equal(posthog.received.length, before);
    } finally {
      assert.equal(await server.stop(), 0);
      await posthog.close();
    }
    // A relayed request captures nothing: the app sent PostHog no batch of its own.
    assert.deepEqual(
      posthog.received.filter((request) => request.url.startsWith('/batch')),
      [],
    );
  });

  it('passes a 20 MB body (a session recording) through unchanged', { timeout: 60_000 }, async () => {
    const posthog = await startPostHog((received) => ({ body: JSON.stringify({ sha256: sha256(received.body) }) }));
    const server = await startApp({ env: { POSTHOG_HOST: posthog.url } });
    try {
      const body = randomBytes(20 * 1024 * 1024);
      const res = await rawRequest(server.url, {
        method: 'POST',
        path: `${RELAY}/s/?compression=gzip-js&ver=1.449.2`,
        headers: [['Content-Type', 'text/plain']],
        body,
        timeout: 50_000,
      });
      assert.equal(res.status, 200, why(res));
      assert.deepEqual(JSON.parse(res.body.toString()), { sha256: sha256(body) });
      assert.equal(posthog.received[0].body.length, body.length);
    } finally {
      await server.stop();
      await posthog.close();
    }
  });

  it('looks up no caller, touches no database and captures no event', async () => {
    const sink = await startCaptureSink();
    const server = await startApp({ sink });
    try {
      const { token } = await server.signup();
      await sink.waitFor('user_signed_up');
      server.storeCalls.length = 0;
      // A signed-in browser with its tracing headers: an API request would look all of it up.
      const event = gzipSync(
        JSON.stringify({ event: 'from_the_page', properties: { token: 'phc_x', distinct_id: 'a' } }),
      );
      const res = await rawRequest(server.url, {
        method: 'POST',
        path: `${RELAY}/e/?compression=gzip-js`,
        headers: [
          ['Authorization', `Bearer ${token}`],
          ['Content-Type', 'text/plain'],
          ['X-POSTHOG-DISTINCT-ID', 'anon-relay'],
          ['X-POSTHOG-SESSION-ID', 'session-relay'],
        ],
        body: event,
      });
      assert.equal(res.status, 200, why(res));
      assert.deepEqual(server.storeCalls, [], 'the relay made no call to the database');
      const [relayed] = await sink.waitForRequest((request) => request.path === '/e/');
      assert.equal(relayed.headers.authorization, undefined);
    } finally {
      await server.stop();
      await sink.close();
    }
    // The page's own event, and the signup's: nothing from the relayed request.
    assert.deepEqual(namesOf(sink.events).sort(), ['$identify', 'from_the_page', 'user_signed_up']);
  });

  it('answers 502 when PostHog refuses connections: one log line, no $exception', async () => {
    const posthog = UNREACHABLE_POSTHOG;
    const server = await startApp({ env: { POSTHOG_HOST: posthog } });
    try {
      for (const [method, rest] of [
        ['POST', '/e/?ip=0'],
        ['GET', '/array/phc_x/config.js'],
        ['POST', '/i/v0/e/'],
      ]) {
        const started = performance.now();
        const res = await rawRequest(server.url, {
          method,
          path: `${RELAY}${rest}`,
          body: method === 'POST' ? '{}' : undefined,
        });
        assert.equal(res.status, 502, `${method} ${rest}`);
        assert.match(res.headers?.['content-type'] ?? '', /application\/json/);
        assert.deepEqual(JSON.parse(res.body.toString()), { error: 'PostHog cannot be reached' });
        assert.ok(performance.now() - started < 10_000);
      }
      // The rest of the server is unaffected.
      assert.equal((await server.request('GET', '/health')).status, 200);
    } finally {
      // Nothing captured: no $exception waits for the unreachable PostHog.
      assert.equal(await server.stop(), 0);
    }
    assert.deepEqual(relayLines(server.output.stderr), [
      `PostHog relay: cannot reach ${posthog} (ECONNREFUSED); the page's analytics get 502 until it can.`,
    ]);
    assert.doesNotMatch(server.output.stderr, /\n\s+at /, 'no stack trace');
  });

  it(
    'answers 504 within 10 s when PostHog hangs: one log line, the rest of the server unaffected',
    { timeout: 30_000 },
    async () => {
      const posthog = await startSilentPostHog();
      const server = await startApp({ env: { POSTHOG_HOST: posthog.url } });
      try {
        const started = performance.now();
        let relayedDone = false;
        const relayed = Promise.all([
          rawRequest(server.url, { method: 'POST', path: `${RELAY}/e/?ip=0`, body: '{"event":"x"}', timeout: 15_000 }),
          rawRequest(server.url, { path: `${RELAY}/flags/?v=2`, timeout: 15_000 }),
        ]).finally(() => (relayedDone = true));
        // Meanwhile the API answers, without waiting for PostHog.
        assert.equal((await server.request('GET', '/health')).status, 200);
        assert.equal(relayedDone, false, 'the API answered while the relay still waited for PostHog');
        for (const res of await relayed) {
          assert.equal(res.status, 504, why(res));
          assert.deepEqual(JSON.parse(res.body.toString()), { error: 'PostHog did not answer in time' });
        }
        assert.ok(performance.now() - started < 10_000, `answered after ${Math.round(performance.now() - started)} ms`);
      } finally {
        assert.equal(await server.stop(), 0);
        await posthog.close();
      }
      assert.deepEqual(relayLines(server.output.stderr), [
        `PostHog relay: ${posthog.url} did not answer in time; the page's analytics get 504 until it does.`,
      ]);
    },
  );
});
