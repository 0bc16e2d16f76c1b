// Odd requests and the one answer each must get. Every generated project has
// one framework and runs this same table, so the table passing on Express,
// Fastify and Koa is what proves that the three answer alike: the expected
// status and body are fixed here, never taken from the server under test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { CaptureSink } from '../scripts/capture-sink.ts';
import { uniqueEmail, uniquePassword } from './support/client.ts';
import type { AuthBody, ErrorBody } from './support/client.ts';
import { only } from './support/events.ts';
import { rawRequest } from './support/raw-http.ts';
import type { RawRequest } from './support/raw-http.ts';
import { runScenario, startCaptureSink, startServer, stopCleanly } from './support/server.ts';
import type { TestServer } from './support/server.ts';

type Header = [name: string, value: string];
/**
 * The status a case must get, and its body: exactly this JSON, or (a string)
 * any JSON object with that key, or (undefined) no body.
 */
type Expectation = readonly [status: number, body: ErrorBody | { status: string } | string | undefined];
/** One row of the table. */
interface Case extends RawRequest {
  name: string;
  expect: Expectation;
}

const JSON_TYPE: Header = ['Content-Type', 'application/json'];
const TITLE = '{"title":"x"}';

const NOT_FOUND = [404, { error: 'Not Found' }] as const;
const TODO_NOT_FOUND = [404, { error: 'Todo not found' }] as const;
const NOT_AN_OBJECT = [400, { error: 'Request body must be a JSON object' }] as const;
const NOT_JSON = [400, { error: 'Request body is not valid JSON' }] as const;
const TOO_LARGE = [413, { error: 'Request body must not exceed 100 kB' }] as const;
const BAD_ENCODING = [415, { error: 'Content-Encoding must be one of: identity, gzip, x-gzip, deflate, br' }] as const;
const BAD_CHARSET = [415, { error: 'A JSON body must be UTF-8 (Content-Type charset=utf-8, or none)' }] as const;
const BAD_PATH = [400, { error: 'The URL path has malformed percent-encoding' }] as const;
const BAD_REQUEST = [400, { error: 'Bad Request' }] as const;
const CREATED = [201, 'todo'] as const;
const LISTED = [200, 'todos'] as const;
const HEALTHY = [200, { status: 'ok' }] as const;

/** One POST /api/todos with these headers and body (authorized unless `auth: false`). */
const post = (
  name: string,
  body: string | Buffer | undefined,
  headers: Header[] = [JSON_TYPE],
  expect: Expectation,
): Case => ({ name, method: 'POST', path: '/api/todos', headers, body, expect });
const get = (name: string, path: string, expect: Expectation, extra: Partial<RawRequest> = {}): Case => ({
  name,
  method: 'GET',
  path,
  expect,
  ...extra,
});

/** `port` is the server's, for absolute-form targets. */
function table(port: string): Case[] {
  return [
    // Bodies that are not a JSON object.
    post('empty body', '', undefined, NOT_AN_OBJECT),
    post('no body at all', undefined, undefined, NOT_AN_OBJECT),
    post('whitespace body', '  \n ', undefined, NOT_JSON),
    post('null', 'null', undefined, NOT_AN_OBJECT),
    post('an array', '[{"title":"x"}]', undefined, NOT_AN_OBJECT),
    post('a number', '42', undefined, NOT_AN_OBJECT),
    post('a string', '"x"', undefined, NOT_AN_OBJECT),
    post('true', 'true', undefined, NOT_AN_OBJECT),
    post('invalid JSON', '{"title":', undefined, NOT_JSON),
    post('a trailing comma', '{"title":"x",}', undefined, NOT_JSON),
    post(
      'bytes that are not UTF-8',
      Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
      undefined,
      NOT_JSON,
    ),
    post('JSON with a BOM', `\ufeff${TITLE}`, undefined, CREATED),
    post('a __proto__ key', '{"title":"x","__proto__":{"polluted":true}}', undefined, CREATED),
    post('deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`, undefined, NOT_AN_OBJECT),
    post('deep nesting in a field', `{"title":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, undefined, [
      400,
      { error: 'title must be a non-empty string of at most 500 characters' },
    ]),
    post('exactly 100 kB', JSON.stringify({ title: 'x', pad: 'p'.repeat(100 * 1024 - 22) }), undefined, CREATED),
    post('100 kB and one byte', JSON.stringify({ title: 'x', pad: 'p'.repeat(100 * 1024 - 21) }), undefined, TOO_LARGE),

    // Content types: only application/json (any case, UTF-8) is read as JSON.
    post('text/plain', TITLE, [['Content-Type', 'text/plain']], NOT_AN_OBJECT),
    post('no Content-Type', TITLE, [], NOT_AN_OBJECT),
    post('a form', 'title=x', [['Content-Type', 'application/x-www-form-urlencoded']], NOT_AN_OBJECT),
    post('a +json type', TITLE, [['Content-Type', 'application/vnd.api+json']], NOT_AN_OBJECT),
    post('APPLICATION/JSON', TITLE, [['Content-Type', 'APPLICATION/JSON']], CREATED),
    post('charset=utf-8', TITLE, [['Content-Type', 'application/json; charset=utf-8']], CREATED),
    post('charset="UTF-8"', TITLE, [['Content-Type', 'application/json; charset="UTF-8"']], CREATED),
    post('charset=latin1', TITLE, [['Content-Type', 'application/json; charset=latin1']], BAD_CHARSET),
    post('charset=utf-16', TITLE, [['Content-Type', 'application/json; charset=utf-16']], BAD_CHARSET),
    post('an unknown charset', TITLE, [['Content-Type', 'application/json; charset=nope']], BAD_CHARSET),
    post('two Content-Types (Node keeps the first)', TITLE, [JSON_TYPE, ['Content-Type', 'text/plain']], CREATED),
    post('a list of types', TITLE, [['Content-Type', 'application/json, text/plain']], NOT_AN_OBJECT),
    post('a Content-Type that is no media type', TITLE, [['Content-Type', ';;;']], NOT_AN_OBJECT),
    {
      name: 'no media type on a 404',
      method: 'POST',
      path: '/nope',
      headers: [['Content-Type', ';;;']],
      body: TITLE,
      expect: NOT_FOUND,
    },

    // Content codings (RFC 9110 §8.4): identity, gzip, deflate and br are read; the rest is 415.
    post('gzip', gzipSync(TITLE), [JSON_TYPE, ['Content-Encoding', 'gzip']], CREATED),
    post('GZIP', gzipSync(TITLE), [JSON_TYPE, ['Content-Encoding', 'GZIP']], CREATED),
    post('x-gzip', gzipSync(TITLE), [JSON_TYPE, ['Content-Encoding', 'x-gzip']], CREATED),
    post('deflate', deflateSync(TITLE), [JSON_TYPE, ['Content-Encoding', 'deflate']], CREATED),
    post('br', brotliCompressSync(TITLE), [JSON_TYPE, ['Content-Encoding', 'br']], CREATED),
    post('identity', TITLE, [JSON_TYPE, ['Content-Encoding', 'identity']], CREATED),
    post('IDENTITY', TITLE, [JSON_TYPE, ['Content-Encoding', 'IDENTITY']], CREATED),
    ...['zstd', 'compress', 'x-evil', 'base64', 'gzip2', 'gzip, gzip'].map((coding) =>
      post(`Content-Encoding ${coding}`, TITLE, [JSON_TYPE, ['Content-Encoding', coding]], BAD_ENCODING),
    ),
    post(
      'gzip that is not gzip',
      'not gzip',
      [JSON_TYPE, ['Content-Encoding', 'gzip']],
      [400, { error: 'Request body could not be decompressed' }],
    ),
    post(
      'a gzip bomb',
      gzipSync(`{"title":"${'x'.repeat(1024 * 1024)}"}`),
      [JSON_TYPE, ['Content-Encoding', 'gzip']],
      TOO_LARGE,
    ),
    get('an unknown coding on a route without a body', '/api/todos', LISTED, {
      headers: [['Content-Encoding', 'zstd']],
    }),

    // Paths.
    get('%zz in a todo id', '/api/todos/%zz', BAD_PATH),
    { name: 'PATCH %zz', method: 'PATCH', path: '/api/todos/%zz', headers: [JSON_TYPE], body: TITLE, expect: BAD_PATH },
    { name: 'DELETE %zz', method: 'DELETE', path: '/api/todos/%zz', expect: BAD_PATH },
    get('%zz on an unknown path', '/nope/%zz', BAD_PATH),
    get('an overlong UTF-8 sequence', '/api/todos/%C0%AF', BAD_PATH),
    get('%zz in the query only', '/api/todos?%zz=1', LISTED),
    get('a bare % in the query', '/health?x=%', HEALTHY),
    get('a double slash in front', '//api/todos', NOT_FOUND),
    get('a double slash inside', '/api//todos', NOT_FOUND),
    get('a trailing slash', '/api/todos/', LISTED),
    get('/health/', '/health/', HEALTHY),
    {
      name: 'a todo id of 1000 characters',
      method: 'DELETE',
      path: `/api/todos/${'a'.repeat(1000)}`,
      expect: TODO_NOT_FOUND,
    },
    { name: 'an encoded slash in a todo id', method: 'DELETE', path: '/api/todos/a%2Fb', expect: TODO_NOT_FOUND },
    ...[256, 300, 4000, 15000].map((length) =>
      get(`a path of ${length} characters`, `/${'a'.repeat(length)}`, NOT_FOUND),
    ),
    get('traversal', '/../../etc/passwd', NOT_FOUND),
    get('encoded traversal', '/%2e%2e/%2e%2e/etc/passwd', NOT_FOUND),
    get('traversal with encoded slashes', '/..%2f..%2fetc/passwd', NOT_FOUND),
    get('traversal with backslashes', '/..%5c..%5cetc%5cpasswd', NOT_FOUND),
    get('traversal inside the API', '/api/%2e%2e/health', NOT_FOUND),
    get('a NUL byte', '/%00', NOT_FOUND),
    get('a dotfile', '/.env', NOT_FOUND),
    get('the package manifest', '/../package.json', NOT_FOUND),
    {
      name: 'an absolute-form target',
      method: 'POST',
      path: `http://127.0.0.1:${port}/api/todos?x=1`,
      headers: [JSON_TYPE],
      body: TITLE,
      expect: CREATED,
    },
    get('an absolute-form target for another host', 'http://other.example/health', HEALTHY),
    {
      name: 'a fragment in the target',
      method: 'POST',
      path: '/api/todos#frag',
      headers: [JSON_TYPE],
      body: TITLE,
      expect: CREATED,
    },

    // Methods.
    { name: 'HEAD on an API route', method: 'HEAD', path: '/api/todos', expect: [200, undefined] },
    { name: 'HEAD /health', method: 'HEAD', path: '/health', expect: [200, undefined] },
    {
      name: 'OPTIONS on an API route',
      method: 'OPTIONS',
      path: '/api/todos',
      headers: [JSON_TYPE],
      body: '',
      expect: NOT_FOUND,
    },
    { name: 'OPTIONS *', method: 'OPTIONS', path: '*', expect: NOT_FOUND },
    {
      name: 'PUT on an API route',
      method: 'PUT',
      path: '/api/todos',
      headers: [JSON_TYPE],
      body: TITLE,
      expect: NOT_FOUND,
    },
    { name: 'TRACE', method: 'TRACE', path: '/api/todos', expect: NOT_FOUND },
    { name: 'PROPFIND', method: 'PROPFIND', path: '/api/todos', expect: NOT_FOUND },
    { name: 'a method Node does not know', method: 'FOO', path: '/api/todos', expect: BAD_REQUEST },
    {
      name: 'invalid JSON on a route without a body',
      method: 'DELETE',
      path: '/api/todos/x',
      headers: [JSON_TYPE],
      body: '{',
      expect: TODO_NOT_FOUND,
    },
    {
      name: 'invalid JSON on an unknown route',
      method: 'POST',
      path: '/nope',
      headers: [JSON_TYPE],
      body: '{',
      expect: NOT_FOUND,
    },

    // Requests Node itself refuses, answered with the same JSON everywhere.
    get('a head over 16 kB', '/api/todos', [431, { error: 'Request Header Fields Too Large' }], {
      headers: [['X-Big', 'a'.repeat(20_000)]],
    }),
    post(
      'Content-Length and Transfer-Encoding together',
      TITLE,
      [JSON_TYPE, ['Content-Length', '13'], ['Transfer-Encoding', 'chunked']],
      BAD_REQUEST,
    ),
    post('a Content-Length that is no number', TITLE, [JSON_TYPE, ['Content-Length', 'abc']], BAD_REQUEST),
    post(
      'a chunked body',
      `${TITLE.length.toString(16)}\r\n${TITLE}\r\n0\r\n\r\n`,
      [JSON_TYPE, ['Transfer-Encoding', 'chunked']],
      CREATED,
    ),
  ];
}

describe('odd requests get the same answer on every framework', () => {
  let sink: CaptureSink;
  let api: TestServer;
  let token: string;

  before(async () => {
    sink = await startCaptureSink();
    api = await startServer({ sink });
    ({ token } = await api.signup());
  });

  after(async () => {
    if (api) await stopCleanly(api);
    await sink?.close();
  });

  it('answers every case in the table as the table says', { timeout: 60_000 }, async () => {
    const failures: string[] = [];
    for (const {
      name,
      method,
      path,
      headers = [],
      body,
      expect: [status, expected],
    } of table(new URL(api.url).port)) {
      const res = await rawRequest(api.url, {
        method,
        path,
        headers: [...headers, ['Authorization', `Bearer ${token}`]],
        body,
      });
      const text = res.body?.toString('utf8') ?? '';
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      const bodyMatches =
        typeof expected === 'string'
          ? (parsed as Record<string, unknown> | undefined)?.[expected] !== undefined
          : JSON.stringify(parsed) === JSON.stringify(expected);
      if (res.status !== status || !bodyMatches) {
        failures.push(
          `${name}: expected ${status} ${JSON.stringify(expected)}, got ${res.status} ${text.slice(0, 120)}`,
        );
      } else if (status >= 400 && !/application\/json/.test(res.headers!['content-type'] ?? '')) {
        failures.push(`${name}: an error without a JSON content type: ${res.headers!['content-type']}`);
      }
    }
    assert.deepEqual(failures, []);
    // Still serving.
    assert.equal((await api.request('GET', '/health')).status, 200);
  });
});

describe('passwords and emails', () => {
  let sink: CaptureSink;
  let api: TestServer;

  before(async () => {
    sink = await startCaptureSink();
    api = await startServer({ sink });
  });

  after(async () => {
    if (api) await stopCleanly(api);
    await sink?.close();
  });

  const signup = (json: unknown) => api.request<AuthBody & ErrorBody>('POST', '/api/auth/signup', { json });
  const login = (json: unknown) => api.request<AuthBody & ErrorBody>('POST', '/api/auth/login', { json });

  it('refuses a password with a lone surrogate, saying why, at signup and login', async () => {
    const email = uniqueEmail();
    const res = await signup({ email, password: `${'\ud800'.repeat(10)}X` });
    assert.deepEqual(
      [res.status, res.body],
      [400, { error: 'password must be valid Unicode text (it contains an unpaired surrogate)' }],
    );
    await api.signup({ email, password: uniquePassword() });
    const other = await login({ email, password: `${'\udc00'.repeat(10)}X` });
    assert.deepEqual(
      [other.status, other.body],
      [400, { error: 'password must be valid Unicode text (it contains an unpaired surrogate)' }],
    );
  });

  it('never lets two different passwords open one account', async () => {
    // Different strings that a careless UTF-8 encoding would make equal.
    const { email } = await api.signup({ password: 'pässwörd\uFFFD\uFFFD' });
    for (const password of ['pässwörd\ud800\ud800', 'pässwörd\udfff\udfff', 'pässwörd??', 'passwordxx']) {
      const res = await login({ email, password });
      assert.notEqual(res.status, 200, `logged in with ${JSON.stringify(password)}`);
    }
  });

  it('compares passwords after NFKC normalisation, at signup and login alike', async () => {
    // "é" precomposed at signup, "e" + combining acute at login; full-width digits.
    const { email } = await api.signup({ password: 'caf\u00e9-\uff11\uff12\uff13\uff14' });
    assert.equal((await login({ email, password: 'cafe\u0301-1234' })).status, 200);
    assert.equal((await login({ email, password: 'cafe-1234' })).status, 401);
  });

  it('counts password length in characters, not UTF-16 units', async () => {
    const short = await signup({ email: uniqueEmail(), password: '😀😀😀😀' });
    assert.deepEqual([short.status, short.body?.error], [400, 'password must be a string of at least 8 characters']);
    assert.equal((await signup({ email: uniqueEmail(), password: '😀'.repeat(8) })).status, 201);
  });

  it('treats one address typed differently as one account', async () => {
    const local = `ada-${Date.now()}`;
    const password = uniquePassword();
    const first = await signup({ email: `${local}@example.com`, password });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.user.email, `${local}@example.com`);
    // Case, surrounding spaces and full-width letters all name the same address.
    const fullWidth = [...`${local}@EXAMPLE.COM`]
      .map((c) => (/[A-Za-z]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c))
      .join('');
    for (const variant of [`${local.toUpperCase()}@Example.COM`, `  ${local}@example.com\t`, fullWidth]) {
      assert.equal((await signup({ email: variant, password })).status, 409, `signup as ${JSON.stringify(variant)}`);
      assert.equal((await login({ email: variant, password })).status, 200, `login as ${JSON.stringify(variant)}`);
    }
  });

  for (const [what, email] of Object.entries({
    'a lone surrogate': 'a\ud800@example.com',
    'a zero-width space': 'ad\u200bmin@example.com',
    'a bidi override': '\u202eadmin@example.com',
    'a control character': 'ad\u0007min@example.com',
    'a space inside': 'ad min@example.com',
  })) {
    it(`refuses an email with ${what}`, async () => {
      const res = await signup({ email, password: uniquePassword() });
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.error, /^email must be/);
    });
  }
});

describe('request properties of odd targets', () => {
  it('records the bare path as $request_path and the target as received as $current_url', async () => {
    const { result: targets, events } = await runScenario(async (server) => {
      const { port } = new URL(server.url);
      const { token } = await server.signup();
      const sent: [target: string, path: string, title: string][] = [
        [`http://127.0.0.1:${port}/api/todos?x=1`, '/api/todos', 'absolute'],
        ['/api/todos#frag', '/api/todos', 'fragment'],
        ['/api/todos?q=1#frag', '/api/todos', 'query and fragment'],
        ['/api/todos/?a=%zz', '/api/todos/', 'trailing slash'],
      ];
      for (const [path, , title] of sent) {
        const res = await rawRequest(server.url, {
          method: 'POST',
          path,
          headers: [JSON_TYPE, ['Authorization', `Bearer ${token}`]],
          body: JSON.stringify({ title }),
        });
        assert.equal(res.status, 201, `${path}: ${res.status} ${res.body}`);
      }
      return sent;
    });
    for (const [target, path] of targets) {
      const event = only(
        events.filter((e) => e.properties.$current_url === target),
        'todo_added',
      );
      assert.equal(event.properties.$request_path, path, `${target}: $request_path`);
      assert.equal(event.properties.$request_method, 'POST');
    }
  });
});
