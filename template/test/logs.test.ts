// The server's log lines: one per request, JSON in production and readable
// text otherwise, filtered by LOG_LEVEL, a 5xx once with its stack, and never
// a password, a token, an email address or a PostHog key.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { uniqueEmail, uniquePassword } from './support/client.ts';
import { startApp, type TestApp } from './support/in-process.ts';
import { eventually, jsonLines, LEVEL, requestLines, waitForRequestLines } from './support/log.ts';
import { startServer, stopCleanly } from './support/server.ts';

/** Resolves once `pattern` matches the app's output; fails after 2 s. */
async function waitForOutput(app: TestApp, pattern: RegExp): Promise<void> {
  const output = () => `${app.output.stdout}\n--- stderr ---\n${app.output.stderr}`;
  await eventually(() => pattern.test(output()));
  assert.match(output(), pattern);
}

const lines = (text: string) => text.split('\n').filter(Boolean);

describe('request lines', { concurrency: true }, () => {
  it('in production: one JSON line per request, with method, path, status and milliseconds', async () => {
    const app = await startApp({ env: { NODE_ENV: 'production' } });
    try {
      assert.equal((await app.request('GET', '/health')).status, 200);
      assert.equal((await app.request('GET', '/api/todos?page=2')).status, 401);
      await app.signup();
      assert.equal((await app.request('DELETE', '/no/such/thing')).status, 404);
      // One the router cannot decode (a 400 or 404, depending on the framework).
      const undecodable = (await app.request('GET', '/api/todos/%zz')).status;

      const logged = await waitForRequestLines(() => app.output.stdout, 5);
      assert.deepEqual(
        logged.map(({ level, msg, req, res }) => ({ level, msg, req, res })),
        [
          ['GET', '/health', 200],
          ['GET', '/api/todos', 401],
          ['POST', '/api/auth/signup', 201],
          ['DELETE', '/no/such/thing', 404],
          ['GET', '/api/todos/%zz', undecodable],
        ].map(([method, path, statusCode]) => ({
          level: LEVEL.info,
          msg: 'request completed',
          req: { method, path },
          res: { statusCode },
        })),
      );
      for (const { responseTime } of logged) assert.ok(typeof responseTime === 'number' && responseTime >= 0);
      // Every line the app wrote is JSON, PostHog's included (jsonLines throws otherwise).
      assert.ok(jsonLines(app.output.stdout).some((line) => line.msg.startsWith('PostHog: sending events to')));
      jsonLines(app.output.stderr);
    } finally {
      await app.stop();
    }
  });

  it('outside production: one readable line per request', async () => {
    const app = await startApp();
    try {
      await app.request('GET', '/health');
      await app.request('GET', '/api/todos', { token: 'no-such-token' });
      await waitForOutput(app, /GET \/api\/todos 401 \d+ ms$/m);
      const requests = lines(app.output.stdout).filter((line) => / ms$/.test(line));
      assert.equal(requests.length, 2, app.output.stdout);
      assert.match(requests[0], /INFO.*: GET \/health 200 \d+ ms$/);
      assert.match(requests[1], /INFO.*: GET \/api\/todos 401 \d+ ms$/);
      assert.ok(!lines(app.output.stdout).some((line) => line.startsWith('{')), app.output.stdout);
    } finally {
      await app.stop();
    }
  });

  it('LOG_LEVEL=warn leaves them out, but not a 5xx', async () => {
    const app = await startApp({ token: null, env: { LOG_LEVEL: 'warn' } });
    try {
      await app.request('GET', '/health');
      await app.request('GET', '/api/todos');
      await app.request('GET', '/debug/error');
      await waitForOutput(app, /ERROR.*: GET \/debug\/error 500 \d+ ms$/m);
      assert.equal(app.output.stdout, '', 'nothing at info');
      assert.match(app.output.stderr, /WARN.*: PostHog is disabled/);
      assert.doesNotMatch(app.output.stderr, /\/health|\/api\/todos/);
    } finally {
      await app.stop();
    }
  });

  it('a 5xx is one line, an error with its stack', async () => {
    const app = await startApp();
    try {
      assert.equal((await app.request('GET', '/debug/error')).status, 500);
      await waitForOutput(app, /GET \/debug\/error 500 \d+ ms$/m);
      const errors = lines(app.output.stderr).filter((line) => /\/debug\/error \d+ \d+ ms$/.test(line));
      assert.equal(errors.length, 1, app.output.stderr);
      assert.match(errors[0], /ERROR.*: GET \/debug\/error 500/);
      assert.match(app.output.stderr, /Error: Deliberate error from \/debug\/error.*\n\s+at /);
      assert.doesNotMatch(app.output.stdout, /debug\/error/);
    } finally {
      await app.stop();
    }
  });
});

describe('secrets', { concurrency: true }, () => {
  for (const production of [true, false]) {
    it(`no password, token, email, Authorization header or PostHog key in any line${production ? ' (production)' : ''}`, async () => {
      const secretKey = `phs_test_${randomBytes(12).toString('hex')}`;
      const env: Record<string, string> = { POSTHOG_SECRET_KEY: secretKey };
      if (production) env.NODE_ENV = 'production';
      const app = await startApp({ env });
      const email = uniqueEmail();
      const password = uniquePassword();
      const badToken = `bad-${randomBytes(12).toString('hex')}`;
      const cookie = `session-${randomBytes(12).toString('hex')}`;
      try {
        const { token } = await app.signup({ email, password });
        await app.login({ email, password });
        assert.equal(
          (await app.request('POST', '/api/auth/login', { json: { email, password: `${password}x` } })).status,
          401,
        );
        // A body the parser refuses still holds the password.
        const broken = `{"email": "${email}", "password": "${password}"`;
        assert.equal((await app.request('POST', '/api/auth/login', { body: broken })).status, 400);
        assert.equal((await app.request('GET', '/api/me', { token: badToken })).status, 401);
        assert.equal((await app.request('GET', `/api/todos?token=${token}&email=${email}`)).status, 401);
        await app.request('GET', '/api/me', { token, headers: { cookie: `sid=${cookie}` } });
        await app.request('GET', '/api/todos', { token: badToken });
        await app.addTodo(token, `todo for ${email}`);
        if (!production) assert.equal((await app.request('GET', '/debug/error', { token })).status, 500);
        // The last request's line: the others were written before it.
        await waitForOutput(
          app,
          production ? /"path":"\/api\/todos"},"res":{"statusCode":201}/ : /GET \/debug\/error 500/,
        );

        const output = `${app.output.stdout}\n${app.output.stderr}`;
        for (const [what, secret] of Object.entries({
          password,
          email,
          token,
          'bad token': badToken,
          cookie,
          'project token': app.token!,
          'secret key': secretKey,
        })) {
          assert.ok(!output.includes(secret), `the ${what} is in the log:\n${output}`);
        }
        assert.doesNotMatch(output, /authorization|bearer/i);
        if (production) assert.equal(requestLines(app.output.stdout).length, 9, app.output.stdout);
      } finally {
        await app.stop();
      }
    });
  }
});

describe('LOG_LEVEL', () => {
  it("is one of pino's levels, in any case, and info by default", () => {
    assert.equal(loadConfig({}).logLevel, 'info');
    assert.equal(loadConfig({ LOG_LEVEL: ' WARN ' }).logLevel, 'warn');
    assert.throws(
      () => loadConfig({ LOG_LEVEL: 'verbose' }),
      /^Error: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"$/,
    );
  });
});

describe('the server process in production', () => {
  it('writes its start-up and shutdown lines as JSON, whatever LOG_LEVEL says', async () => {
    const server = await startServer({ token: null, env: { NODE_ENV: 'production', LOG_LEVEL: 'error' } });
    await stopCleanly(server);
    const { port } = new URL(server.url);
    const out = jsonLines(server.output.stdout);
    assert.deepEqual(
      out.map((line) => line.msg),
      [
        `listening on http://127.0.0.1:${port}`,
        'SIGTERM received: finishing in-flight requests and flushing PostHog (SIGTERM again to exit now)',
      ],
    );
    jsonLines(server.output.stderr);
  });
});
