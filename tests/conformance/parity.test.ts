// Odd requests and the answers each may get. pytest runs this table against
// every generated combination (tests/conformance.py), so the table passing on
// Express, Fastify and Koa is what proves that the three keep the contract
// alike: the expected answers are fixed here, never taken from the server
// under test. Where the contract fixes the answer (404 JSON for anything that
// is not a route, 413 over 100 kB, the routes' own answers, what Node itself
// refuses) it is exact. Each framework reads bodies with its own parser and
// decodes paths with its own router, so where those may differ (odd content
// types, charsets and content codings, empty or non-object JSON, a body an
// app-wide parser refuses before routing, a parameter with malformed
// percent-encoding) a case lists the answers it may get: the contract asks
// only that a client's mistake get a 4xx with {"error": "..."}, never a 5xx.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import * as api from './support/client.ts';
import type { AuthBody, ErrorBody } from './support/client.ts';
import { only, settledEvents } from './support/events.ts';
import { rawRequest } from './support/raw-http.ts';
import type { RawRequest } from './support/raw-http.ts';

type Header = [name: string, value: string];
/** Any JSON body that is exactly {"error": "<a non-empty message>"}. */
const AN_ERROR = Symbol('{"error": "..."}');
/**
 * A status and the body that goes with it: exactly this JSON, or (a string)
 * any JSON object with that key, or AN_ERROR, or (undefined) no body.
 */
type Answer = readonly [status: number, body: ErrorBody | { status: string } | string | typeof AN_ERROR | undefined];
/** One row of the table: the one answer it must get, or a list of those it may get. */
interface Case extends RawRequest {
  name: string;
  expect: Answer | readonly Answer[];
}

const JSON_TYPE: Header = ['Content-Type', 'application/json'];
const TITLE = '{"title":"x"}';

const NOT_FOUND = [404, { error: 'Not Found' }] as const;
const TODO_NOT_FOUND = [404, { error: 'Todo not found' }] as const;
const BAD_REQUEST = [400, { error: 'Bad Request' }] as const;
const CREATED = [201, 'todo'] as const;
const LISTED = [200, 'todos'] as const;
const HEALTHY = [200, { status: 'ok' }] as const;
const INVALID = [400, AN_ERROR] as const;
const TOO_LARGE = [413, AN_ERROR] as const;
const UNSUPPORTED = [415, AN_ERROR] as const;
/** A body the framework's parser does not read as the route's JSON. */
const REFUSED = [INVALID, UNSUPPORTED] as const;
/** A body the framework's parser may read (then it is a todo) or refuse. */
const READ_OR_REFUSED = [CREATED, INVALID, UNSUPPORTED] as const;

const isList = (expect: Case['expect']): expect is readonly Answer[] => Array.isArray(expect[0]);

/** One POST /api/todos with these headers and body. */
const post = (name: string, body: string | Buffer | undefined, headers: Header[], expect: Case['expect']): Case => ({
  name,
  method: 'POST',
  path: '/api/todos',
  headers,
  body,
  expect,
});
const postJson = (name: string, body: string | Buffer | undefined, expect: Case['expect']) =>
  post(name, body, [JSON_TYPE], expect);
const get = (name: string, path: string, expect: Case['expect'], extra: Partial<RawRequest> = {}): Case => ({
  name,
  method: 'GET',
  path,
  expect,
  ...extra,
});

/** `port` is the server's, for absolute-form targets. */
function table(port: string): Case[] {
  return [
    // Bodies that are not a JSON object: a 400, whatever the message.
    postJson('empty body', '', INVALID),
    postJson('no body at all', undefined, INVALID),
    postJson('whitespace body', '  \n ', INVALID),
    postJson('null', 'null', INVALID),
    postJson('an array', '[{"title":"x"}]', INVALID),
    postJson('a number', '42', INVALID),
    postJson('a string', '"x"', INVALID),
    postJson('true', 'true', INVALID),
    postJson('invalid JSON', '{"title":', INVALID),
    postJson('a trailing comma', '{"title":"x",}', INVALID),
    postJson('bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), INVALID),
    postJson('JSON with a BOM', `\ufeff${TITLE}`, [CREATED, INVALID]),
    // Read (the key is just a key) or refused (Fastify's parser refuses prototype poisoning).
    postJson('a __proto__ key', '{"title":"x","__proto__":{"polluted":true}}', [CREATED, INVALID]),
    postJson('deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`, INVALID),
    postJson('deep nesting in a field', `{"title":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, INVALID),
    postJson('exactly 100 kB', JSON.stringify({ title: 'x', pad: 'p'.repeat(100 * 1024 - 22) }), CREATED),
    postJson('100 kB and one byte', JSON.stringify({ title: 'x', pad: 'p'.repeat(100 * 1024 - 21) }), TOO_LARGE),

    // Content types: application/json with UTF-8 is read everywhere; what else
    // is read is the framework parser's choice.
    post('charset=utf-8', TITLE, [['Content-Type', 'application/json; charset=utf-8']], CREATED),
    post('two Content-Types (Node keeps the first)', TITLE, [JSON_TYPE, ['Content-Type', 'text/plain']], CREATED),
    post('text/plain', TITLE, [['Content-Type', 'text/plain']], REFUSED),
    post('no Content-Type', TITLE, [], REFUSED),
    post('a list of types', TITLE, [['Content-Type', 'application/json, text/plain']], REFUSED),
    post('a Content-Type that is no media type', TITLE, [['Content-Type', ';;;']], REFUSED),
    post('a form', 'title=x', [['Content-Type', 'application/x-www-form-urlencoded']], READ_OR_REFUSED),
    post('a +json type', TITLE, [['Content-Type', 'application/vnd.api+json']], READ_OR_REFUSED),
    post('APPLICATION/JSON', TITLE, [['Content-Type', 'APPLICATION/JSON']], READ_OR_REFUSED),
    post('charset="UTF-8"', TITLE, [['Content-Type', 'application/json; charset="UTF-8"']], READ_OR_REFUSED),
    post('charset=latin1', TITLE, [['Content-Type', 'application/json; charset=latin1']], READ_OR_REFUSED),
    post('charset=utf-16', TITLE, [['Content-Type', 'application/json; charset=utf-16']], READ_OR_REFUSED),
    post('an unknown charset', TITLE, [['Content-Type', 'application/json; charset=nope']], READ_OR_REFUSED),
    {
      // An app-wide parser may refuse the body before the router finds no route.
      name: 'no media type on a 404',
      method: 'POST',
      path: '/nope',
      headers: [['Content-Type', ';;;']],
      body: TITLE,
      expect: [NOT_FOUND, ...REFUSED],
    },

    // Content codings: the parser's choice, but a bomb is never read whole.
    ...(
      [
        ['gzip', gzipSync(TITLE)],
        ['GZIP', gzipSync(TITLE)],
        ['x-gzip', gzipSync(TITLE)],
        ['deflate', deflateSync(TITLE)],
        ['br', brotliCompressSync(TITLE)],
        ['identity', TITLE],
        ['IDENTITY', TITLE],
        ...['zstd', 'compress', 'x-evil', 'base64', 'gzip2', 'gzip, gzip'].map((coding) => [coding, TITLE]),
      ] as [string, string | Buffer][]
    ).map(([coding, body]) =>
      post(`Content-Encoding ${coding}`, body, [JSON_TYPE, ['Content-Encoding', coding]], READ_OR_REFUSED),
    ),
    post('gzip that is not gzip', 'not gzip', [JSON_TYPE, ['Content-Encoding', 'gzip']], REFUSED),
    post(
      'a gzip bomb',
      gzipSync(`{"title":"${'x'.repeat(1024 * 1024)}"}`),
      [JSON_TYPE, ['Content-Encoding', 'gzip']],
      [TOO_LARGE, ...REFUSED],
    ),
    get('an unknown coding on a route without a body', '/api/todos', LISTED, {
      headers: [['Content-Encoding', 'zstd']],
    }),

    // Paths. A parameter with malformed percent-encoding is the router's to
    // refuse (400) or to pass on undecoded (then there is no such todo).
    {
      name: 'PATCH %zz',
      method: 'PATCH',
      path: '/api/todos/%zz',
      headers: [JSON_TYPE],
      body: TITLE,
      expect: [INVALID, TODO_NOT_FOUND],
    },
    { name: 'DELETE %zz', method: 'DELETE', path: '/api/todos/%zz', expect: [INVALID, TODO_NOT_FOUND] },
    {
      name: 'an overlong UTF-8 sequence',
      method: 'DELETE',
      path: '/api/todos/%C0%AF',
      expect: [INVALID, TODO_NOT_FOUND],
    },
    // No GET route has a parameter: the router may decode the path, or find no route.
    get('%zz in a todo id', '/api/todos/%zz', [INVALID, NOT_FOUND]),
    get('an overlong UTF-8 sequence in a todo id', '/api/todos/%C0%AF', [INVALID, NOT_FOUND]),
    get('%zz on an unknown path', '/nope/%zz', [INVALID, NOT_FOUND]),
    get('%zz in the query only', '/api/todos?%zz=1', LISTED),
    // The list's page size and cursor: the services check them alike everywhere
    // (Fastify's querystring schema refuses a name given twice first).
    get('a page of one', '/api/todos?limit=1', LISTED),
    get('a page size of 0', '/api/todos?limit=0', INVALID),
    get('a page size over 100', '/api/todos?limit=101', INVALID),
    get('a page size that is no number', '/api/todos?limit=ten', INVALID),
    get('a page size with malformed percent-encoding', '/api/todos?limit=%zz', INVALID),
    get('a page size given twice', '/api/todos?limit=1&limit=2', INVALID),
    get('an empty cursor', '/api/todos?cursor=', INVALID),
    get('a cursor the server did not make', '/api/todos?cursor=not-a-cursor', INVALID),
    get('a cursor with malformed percent-encoding', '/api/todos?cursor=%zz', INVALID),
    get('a cursor given twice', '/api/todos?cursor=MQ&cursor=MQ', INVALID),
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
      // An empty body that says it is JSON: the parser may refuse it before the router.
      name: 'OPTIONS on an API route',
      method: 'OPTIONS',
      path: '/api/todos',
      headers: [JSON_TYPE],
      body: '',
      expect: [NOT_FOUND, INVALID],
    },
    { name: 'OPTIONS on an API route without a body', method: 'OPTIONS', path: '/api/todos', expect: NOT_FOUND },
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
      // An app-wide parser may refuse the body before the route answers.
      name: 'invalid JSON on a route without a body',
      method: 'DELETE',
      path: '/api/todos/x',
      headers: [JSON_TYPE],
      body: '{',
      expect: [TODO_NOT_FOUND, INVALID],
    },
    {
      name: 'invalid JSON on an unknown route',
      method: 'POST',
      path: '/nope',
      headers: [JSON_TYPE],
      body: '{',
      expect: [NOT_FOUND, INVALID],
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

function matches([status, expected]: Answer, actualStatus: number, parsed: unknown): boolean {
  if (actualStatus !== status) return false;
  if (expected === AN_ERROR) {
    const body = parsed as Record<string, unknown> | undefined;
    return (
      typeof body === 'object' &&
      body !== null &&
      Object.keys(body).join() === 'error' &&
      typeof body.error === 'string' &&
      body.error.length > 0
    );
  }
  if (typeof expected === 'string') return (parsed as Record<string, unknown> | undefined)?.[expected] !== undefined;
  return JSON.stringify(parsed) === JSON.stringify(expected);
}

const describeAnswer = ([status, body]: Answer) =>
  `${status} ${body === AN_ERROR ? '{"error": "..."}' : typeof body === 'string' ? `{"${body}": ...}` : JSON.stringify(body)}`;

describe('odd requests get an answer the contract allows, on every framework', () => {
  it('answers every case in the table as the table says', { timeout: 60_000 }, async (t) => {
    const { token } = await api.signup();
    const failures: string[] = [];
    const choices: string[] = [];
    for (const { name, method, path, headers = [], body, expect } of table(new URL(api.SERVER_URL).port)) {
      const res = await rawRequest(api.SERVER_URL, {
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
      const allowed = isList(expect) ? expect : [expect as Answer];
      if (!allowed.some((answer) => matches(answer, res.status, parsed))) {
        failures.push(
          `${name}: expected ${allowed.map(describeAnswer).join(' or ')}, got ${res.status} ${text.slice(0, 120)}`,
        );
      } else if (text && !/application\/json/.test(res.headers!['content-type'] ?? '')) {
        failures.push(`${name}: a body without a JSON content type: ${res.headers!['content-type']}`);
      } else if (allowed.length > 1) {
        choices.push(`${name}: ${res.status}`);
      }
    }
    // Where the frameworks may differ, which answer this one gave.
    t.diagnostic(`answers this framework chose: ${choices.join('; ')}`);
    assert.deepEqual(failures, []);
    // Still serving.
    assert.equal((await api.request('GET', '/health')).status, 200);
  });
});

describe('passwords and emails', () => {
  const signup = (json: unknown) => api.request<AuthBody & ErrorBody>('POST', '/api/auth/signup', { json });
  const login = (json: unknown) => api.request<AuthBody & ErrorBody>('POST', '/api/auth/login', { json });

  it('refuses a password with a lone surrogate, saying why, at signup and login', async () => {
    const email = api.uniqueEmail();
    const res = await signup({ email, password: `${'\ud800'.repeat(10)}X` });
    assert.deepEqual(
      [res.status, res.body],
      [400, { error: 'password must be valid Unicode text (it contains an unpaired surrogate)' }],
    );
    await api.signup({ email, password: api.uniquePassword() });
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
    const short = await signup({ email: api.uniqueEmail(), password: '😀😀😀😀' });
    assert.deepEqual([short.status, short.body?.error], [400, 'password must be a string of at least 8 characters']);
    assert.equal((await signup({ email: api.uniqueEmail(), password: '😀'.repeat(8) })).status, 201);
  });

  it('treats one address typed differently as one account', async () => {
    const local = `ada-${Date.now()}`;
    const password = api.uniquePassword();
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
      const res = await signup({ email, password: api.uniquePassword() });
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.error, /^email must be/);
    });
  }
});

describe('request properties of odd targets', () => {
  it('records the bare path as $request_path and the target as received as $current_url', async () => {
    const { port } = new URL(api.SERVER_URL);
    const { token } = await api.signup();
    const sent: [target: string, path: string][] = [
      [`http://127.0.0.1:${port}/api/todos?x=1`, '/api/todos'],
      ['/api/todos#frag', '/api/todos'],
      ['/api/todos?q=1#frag', '/api/todos'],
      ['/api/todos/?a=%zz', '/api/todos/'],
    ];
    const created: [target: string, path: string, todoId: string][] = [];
    for (const [target, path] of sent) {
      const res = await rawRequest(api.SERVER_URL, {
        method: 'POST',
        path: target,
        headers: [JSON_TYPE, ['Authorization', `Bearer ${token}`]],
        body: JSON.stringify({ title: target }),
      });
      assert.equal(res.status, 201, `${target}: ${res.status} ${res.body}`);
      created.push([target, path, (JSON.parse(res.body!.toString('utf8')) as api.TodoBody).todo.id]);
    }
    const events = await settledEvents(token);
    for (const [target, path, todoId] of created) {
      const event = only(
        events.filter((e) => e.properties.todo_id === todoId),
        'todo_added',
      );
      assert.equal(event.properties.$current_url, target, `${target}: $current_url`);
      assert.equal(event.properties.$request_path, path, `${target}: $request_path`);
      assert.equal(event.properties.$request_method, 'POST');
    }
  });
});

describe('sessions that end, on every framework', () => {
  const logout = (token: string, extra: Partial<RawRequest> = {}) =>
    rawRequest(api.SERVER_URL, {
      method: 'POST',
      path: '/api/auth/logout',
      ...extra,
      headers: [...(extra.headers ?? []), ['Authorization', `Bearer ${token}`]],
    });
  const me = (token: string) => api.request('GET', '/api/me', { token });

  it('ends exactly the token logout is sent with, however the empty request is written', async () => {
    const account = await api.signup();
    const other = await api.login(account);
    // Bodies a client may send with a logout. An empty body that says it is
    // JSON is the parser's to accept or to refuse as a client's mistake.
    const ways: [string, Partial<RawRequest>, readonly number[]][] = [
      ['no body, no Content-Type', {}, [204]],
      ['an empty JSON object', { headers: [JSON_TYPE], body: '{}' }, [204]],
      ['a JSON body it does not read', { headers: [JSON_TYPE], body: '{"all":true}' }, [204]],
      ['an empty body that says it is JSON', { headers: [JSON_TYPE], body: '' }, [204, 400]],
    ];
    for (const [way, extra, allowed] of ways) {
      const { token } = await api.login(account);
      const res = await logout(token, extra);
      assert.ok(allowed.includes(res.status), `${way}: ${res.status} ${res.body?.toString('utf8')}`);
      if (res.status === 204) {
        assert.equal(res.body?.length ?? 0, 0, `${way}: a 204 has no body`);
        assert.equal((await me(token)).status, 401, `${way}: the token still works after its logout`);
        assert.equal((await logout(token)).status, 401, `${way}: a second logout with the ended token`);
      } else {
        assert.ok(/"error":"/.test(res.body?.toString('utf8') ?? ''), `${way}: ${res.body?.toString('utf8')}`);
        assert.equal((await me(token)).status, 200, `${way}: a refused logout ends nothing`);
      }
    }
    // The user's other sessions are untouched.
    assert.equal((await me(account.token)).status, 200);
    assert.equal((await me(other.token)).status, 200);
    for (const token of ['', 'not-a-token', `${account.token}x`]) {
      const res = await api.request<ErrorBody>('POST', '/api/auth/logout', { token });
      assert.equal(res.status, 401, `logout with ${JSON.stringify(token)}`);
      assert.equal(typeof res.body.error, 'string');
    }
  });

  it('throttles failed logins per address alike, known or not, and says when to come back', async () => {
    const known = await api.signup();
    const unknown = api.uniqueEmail();
    const attempt = (email: string, password: string) =>
      api.request<AuthBody & ErrorBody>('POST', '/api/auth/login', { json: { email, password } });
    for (const email of [known.email, unknown]) {
      for (let i = 0; i < 10; i += 1) {
        const res = await attempt(email, `wrong-${i}-${api.uniquePassword()}`);
        assert.equal(res.status, 401, `failure ${i + 1} for ${email}: ${res.status} ${res.text}`);
      }
    }
    const answers = await Promise.all([attempt(known.email, known.password), attempt(unknown, api.uniquePassword())]);
    // A 429 says nothing about whether the account exists: same status, body and header.
    for (const res of answers) {
      assert.equal(res.status, 429, res.text);
      assert.ok(typeof res.body.error === 'string' && res.body.error.length > 0, res.text);
      const retryAfter = res.headers.get('retry-after') ?? '';
      assert.match(retryAfter, /^\d+$/, 'Retry-After in whole seconds');
      assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 900, `Retry-After: ${retryAfter}`);
    }
    // The same words either way; only the seconds left may differ (the two windows began apart).
    const words = (text: string) => text.replace(/\d+/g, 'N');
    assert.equal(words(answers[0].text), words(answers[1].text));
    // Other addresses, signups and valid tokens are not affected.
    assert.equal((await attempt(api.uniqueEmail(), 'whatever-password')).status, 401);
    const fresh = await api.signup();
    assert.equal((await attempt(fresh.email, fresh.password)).status, 200);
    assert.equal((await me(known.token)).status, 200);

    // The 429 captured nothing for the user: no user_logged_in after the signup's.
    const events = await settledEvents(known.token);
    const logins = events.filter((event) => event.event === 'user_logged_in' && event.distinct_id === known.user.id);
    assert.deepEqual(logins, [], 'a throttled login with the right password logged the user in');
  });
});
