// Hostile input: well over a thousand generated requests that no honest client
// sends (malformed and deeply nested JSON, wrong types, huge strings, oversized
// bodies, unknown routes, control characters and huge values in the tracing
// headers, bad tokens), written byte for byte to the socket. The server must
// answer each one with something other than a 5xx, keep answering /health, and
// keep every password, token and oversized raw header value out of PostHog.
// pytest runs this against every generated combination (tests/conformance.py).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as api from './support/client.ts';
import { settledEvents } from './support/events.ts';
import { rawRequest } from './support/raw-http.ts';
import type { NoResponse, RawRequest } from './support/raw-http.ts';

type Header = [name: string, value: string];
/** A request as the generator writes it: headers as pairs, plus JSON-ish ones by name. */
interface CaseRequest extends RawRequest {
  headersObject?: Record<string, string>;
}
/** One generated case; `expect` is the status it must get when it must reach the app. */
interface HostileCase {
  name: string;
  request: CaseRequest & { headers: Header[] };
  mayDrop: boolean;
  expect?: number;
}
type BodyRoute = [method: string, path: string, auth: boolean];

// Node's own limit on the request head (--max-http-header-size, 16 kB): a
// header over it is answered 431 before the app sees it, one just under it
// reaches the app.
const NEAR_HEADER_LIMIT = 15 * 1024;
const BODY_LIMIT = 100 * 1024;
const MAX_HEADER_VALUE = 1000;
const CONCURRENCY = 12;

// Markers that must never show up in an event.
const PASSWORD_MARKER = 'hostilepw';
const TOKEN_MARKER = 'hostiletok';

/** A small seeded PRNG, so a failing case can be found again. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)],
  };
}

const SEED = Number(process.env.HOSTILE_SEED ?? 20260501);
const password = (suffix = randomBytes(6).toString('hex')) => `${PASSWORD_MARKER}-${suffix}`;
const badToken = (suffix = randomBytes(6).toString('hex')) => `${TOKEN_MARKER}${suffix}`;
const unique = (length: number) =>
  randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);

/**
 * Values for the X-POSTHOG-* and User-Agent headers, written raw (latin1).
 * Node's parser answers 400 itself to C0 control characters other than tab
 * and to DEL, and 431 to a head over 16 kB; tabs and the C1 range
 * (bytes 0x80-0x9f) reach the app, which must strip them.
 */
function headerValues(): [label: string, value: string][] {
  return [
    ['C0 control characters', `\x01anon\x02-${unique(8)}\x1f`],
    ['ANSI escapes', `\x1b[31m${unique(8)}\x1b[0m`],
    ['DEL', `a\x7fb${unique(8)}`],
    ['C1 control characters', `a\x80b\x85c\x9b[31m${unique(8)}\x9f`],
    ['tabs around', `\t ${unique(8)} \t`],
    ['tab inside', `${unique(4)}\t${unique(4)}`],
    ['NUL byte', `abc\x00${unique(8)}`],
    ['bare CR', `abc\r${unique(8)}`],
    ['UTF-8 bytes as latin1', `${Buffer.from(`ü-😀-${unique(8)}`, 'utf8').toString('latin1')}`],
    ['only whitespace', '   \t  '],
    ['empty', ''],
    ['only C0 controls', '\x01\x02\x03'],
    ['only C1 controls and tabs', '\x80\t\x9f\x85'],
    ['999 characters', unique(999)],
    ['1000 characters', unique(1000)],
    ['1001 characters', unique(1001)],
    ['5 kB', unique(5 * 1024)],
    ['just under the header limit', unique(NEAR_HEADER_LIMIT)],
    ['C1 controls in a long value', `\x85${unique(4000)}\x9f${unique(4000)}\x80`],
    ['100 kB', unique(100 * 1024)], // over Node's limit: 431
    ['JSON-looking', '{"$set":{"email":"admin@example.com"},"distinct_id":"admin"}'],
    ['comma list', `${unique(6)}, ${unique(6)}`],
    ['quotes and backslashes', `"\\'\\\\${unique(6)}"`],
  ];
}

/** The status Node itself answers these headers with, before the app sees them: 431 for size, 400 for characters. */
function nodeRefusal(headers: Header[]) {
  const size = headers.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
  if (size > 15.5 * 1024) return 431;
  if (headers.some(([, value]) => /[\x00-\x08\x0a-\x1f\x7f]/.test(value))) return 400;
  return undefined;
}

function nested(depth: number, open: string, close: string, leaf = '1') {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

/** The accounts and todo the cases aim at (see the test). */
interface Targets {
  token: string;
  pathsToken: string;
  todoId: string;
  email: string;
  loginEmail: string;
}

/** Every hostile request, as {name, request, mayDrop}. */
function generateCases({ token, pathsToken, todoId, email, loginEmail }: Targets) {
  const cases: HostileCase[] = [];
  const json = { 'Content-Type': 'application/json' };
  // `expect`: the status this case must get, for cases that must reach the app.
  const add = (
    name: string,
    request: CaseRequest,
    { auth = false, mayDrop = false, expect }: { auth?: boolean; mayDrop?: boolean; expect?: number } = {},
  ) => {
    const headers: Header[] = [...Object.entries(request.headersObject ?? {}), ...(request.headers ?? [])];
    if (auth) headers.push(['Authorization', `Bearer ${token}`]);
    cases.push({ name, mayDrop, expect, request: { ...request, headers } });
  };
  const bodyRoutes: BodyRoute[] = [
    ['POST', '/api/todos', true],
    ['POST', '/api/auth/signup', false],
    ['POST', '/api/auth/login', false],
    ['PATCH', `/api/todos/${todoId}`, true],
  ];

  // Malformed JSON.
  const malformed = [
    '{',
    '}',
    '[',
    '{"title":',
    '{"title":"unterminated',
    '{"title":"x",}',
    '{title:"x"}',
    "{'title':'x'}",
    '{"title":"x"}}',
    '{"title":"x"} trailing',
    '{"title":NaN}',
    '{"title":Infinity}',
    '{"title":undefined}',
    '{"title":01}',
    '{"title":1e99999}',
    '{"title":"\\u12"}',
    '{"title":"\\x41"}',
    '\ufeff{"title":"bom"}',
    '{"title":"x"\u0000}',
    '{"title":"line\nbreak"}',
    'null',
    'true',
    '123',
    '"just a string"',
    '[]',
    '[{"title":"x"}]',
    '',
    ' ',
    '\u0000',
    '{"a":1,"a":2,"__proto__":{"title":"x"}}',
  ];
  for (const body of malformed) {
    for (const [method, path, auth] of bodyRoutes)
      add(`malformed JSON ${JSON.stringify(body).slice(0, 40)}`, { method, path, headersObject: json, body }, { auth });
  }
  // Invalid UTF-8 and binary garbage where JSON is expected.
  for (const bytes of [
    Buffer.from([0xff, 0xfe, 0xfd]),
    Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    randomBytes(2048),
    gzipSync('{"title":"x"}'),
  ]) {
    for (const [method, path, auth] of bodyRoutes)
      add('binary body', { method, path, headersObject: json, body: bytes }, { auth });
  }

  // Deeply nested JSON, as the whole body and as a field's value.
  const shapes: [shape: string, make: (depth: number) => string][] = [
    ['arrays', (d) => nested(d, '[', ']')],
    ['objects', (d) => nested(d, '{"a":', '}')],
    ['__proto__ objects', (d) => nested(d, '{"__proto__":', '}', '{"polluted":true}')],
    ['constructor.prototype', (d) => nested(d, '{"constructor":{"prototype":', '}}', '{"polluted":true}')],
  ];
  for (const depth of [64, 1000, 6000, 40000]) {
    for (const [shape, make] of shapes) {
      const value = make(depth);
      // Over the body limit, like the oversized bodies below: a 413, or the
      // connection closed while the body is still being written.
      const mayDrop = value.length > BODY_LIMIT;
      add(
        `nested ${shape} x${depth} body`,
        { method: 'POST', path: '/api/todos', headersObject: json, body: value },
        { auth: true, mayDrop },
      );
      add(
        `nested ${shape} x${depth} title`,
        { method: 'POST', path: '/api/todos', headersObject: json, body: `{"title":${value}}` },
        { auth: true, mayDrop },
      );
      add(
        `nested ${shape} x${depth} signup`,
        {
          method: 'POST',
          path: '/api/auth/signup',
          headersObject: json,
          body: `{"email":${value},"password":"${password()}"}`,
        },
        { mayDrop },
      );
      add(
        `nested ${shape} x${depth} patch`,
        { method: 'PATCH', path: `/api/todos/${todoId}`, headersObject: json, body: `{"completed":${value}}` },
        { auth: true, mayDrop },
      );
    }
  }

  // Wrong types.
  const wrong: unknown[] = [
    null,
    0,
    -1,
    1.5,
    1e308,
    true,
    false,
    [],
    ['x'],
    {},
    { title: 'x' },
    '',
    '   ',
    '\u0000',
    '\u202e',
    'true',
  ];
  for (const value of wrong) {
    const payloads: [method: string, path: string, body: unknown, auth: boolean][] = [
      ['POST', '/api/todos', { title: value }, true],
      ['PATCH', `/api/todos/${todoId}`, { title: value }, true],
      ['PATCH', `/api/todos/${todoId}`, { completed: value }, true],
      ['POST', '/api/auth/signup', { email: value, password: password() }, false],
      ['POST', '/api/auth/signup', { email: `w-${unique(8)}@example.com`, password: value }, false],
      [
        'POST',
        '/api/auth/signup',
        {
          email: `w-${unique(8)}@example.com`,
          password: typeof value === 'string' ? `${password()}${value}` : password(),
          name: value,
        },
        false,
      ],
      ['POST', '/api/auth/login', { email: value, password: password() }, false],
      ['POST', '/api/auth/login', { email, password: value }, false],
    ];
    for (const [method, path, body, auth] of payloads) {
      add(
        `wrong type ${JSON.stringify(body).slice(0, 50)}`,
        { method, path, headersObject: json, body: JSON.stringify(body) },
        { auth },
      );
    }
  }

  // Huge strings, at and around the limits.
  for (const length of [500, 501, 10_000, BODY_LIMIT - 100, BODY_LIMIT]) {
    add(
      `title of ${length}`,
      { method: 'POST', path: '/api/todos', headersObject: json, body: JSON.stringify({ title: 't'.repeat(length) }) },
      { auth: true },
    );
    add(
      `patch title of ${length}`,
      {
        method: 'PATCH',
        path: `/api/todos/${todoId}`,
        headersObject: json,
        body: JSON.stringify({ title: 't'.repeat(length) }),
      },
      { auth: true },
    );
    add(`signup email of ${length}`, {
      method: 'POST',
      path: '/api/auth/signup',
      headersObject: json,
      body: JSON.stringify({ email: `${'e'.repeat(length)}@example.com`, password: password() }),
    });
    add(`signup name of ${length}`, {
      method: 'POST',
      path: '/api/auth/signup',
      headersObject: json,
      body: JSON.stringify({ email: `n-${unique(8)}@example.com`, password: password(), name: 'n'.repeat(length) }),
    });
    add(`login password of ${length}`, {
      method: 'POST',
      path: '/api/auth/login',
      headersObject: json,
      body: JSON.stringify({ email, password: password('p'.repeat(length)) }),
    });
  }
  add('signup password of 90 kB', {
    method: 'POST',
    path: '/api/auth/signup',
    headersObject: json,
    body: JSON.stringify({ email: `p-${unique(8)}@example.com`, password: password('p'.repeat(90_000)) }),
  });
  for (const title of [
    '😀'.repeat(20_000),
    '\ud800\udc00'.repeat(100),
    '\ud800',
    '\udfff x',
    'a\u0000b',
    '\u200b',
    'é'.repeat(300),
    '<script>alert(1)</script>',
    '${7*7}{' + '{7*7}}',
    "'; DROP TABLE todos; --",
  ]) {
    add(
      `unusual title ${JSON.stringify(title).slice(0, 30)}`,
      { method: 'POST', path: '/api/todos', headersObject: json, body: JSON.stringify({ title }) },
      { auth: true },
    );
  }

  // Oversized bodies (413, or the connection closed while still uploading).
  for (const size of [BODY_LIMIT + 1, 150 * 1024, 1024 * 1024, 5 * 1024 * 1024]) {
    const body = JSON.stringify({ title: 'x'.repeat(size) });
    for (const [method, path, auth] of [
      ...bodyRoutes,
      ['POST', '/no-such-route', false],
      ['GET', '/health', false],
    ] as BodyRoute[]) {
      add(
        `body of ${size} bytes to ${method} ${path}`,
        { method, path, headersObject: json, body },
        { auth, mayDrop: true },
      );
    }
  }
  for (const size of [BODY_LIMIT * 2, 1024 * 1024]) {
    const chunk = `{"title":"${'x'.repeat(size)}"}`;
    const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
    add(
      `chunked body of ${size} bytes`,
      {
        method: 'POST',
        path: '/api/todos',
        headers: [
          ['Content-Type', 'application/json'],
          ['Transfer-Encoding', 'chunked'],
        ],
        body,
      },
      { auth: true, mayDrop: true },
    );
  }
  for (const claimed of ['10485760', '200', '-1', 'abc', '1, 2']) {
    add(
      `Content-Length ${claimed} then hang up`,
      {
        method: 'POST',
        path: '/api/todos',
        headers: [
          ['Content-Type', 'application/json'],
          ['Content-Length', claimed],
        ],
        body: '{"title":"x"}',
        abortAfterBytes: 5,
      },
      { auth: true, mayDrop: true },
    );
  }
  add(
    'two different Content-Lengths',
    {
      method: 'POST',
      path: '/api/todos',
      headers: [
        ['Content-Type', 'application/json'],
        ['Content-Length', '13'],
        ['Content-Length', '3'],
      ],
      body: '{"title":"x"}',
    },
    { auth: true, mayDrop: true },
  );
  add(
    'bad chunk size',
    {
      method: 'POST',
      path: '/api/todos',
      headers: [
        ['Content-Type', 'application/json'],
        ['Transfer-Encoding', 'chunked'],
      ],
      body: 'zz\r\nabc\r\n0\r\n\r\n',
    },
    { auth: true, mayDrop: true },
  );

  // Unknown routes, odd paths and methods.
  const paths = [
    '/',
    '/api',
    '/api/',
    '/api/todos/',
    '/API/TODOS',
    '/api/todos/x/y',
    '/api/auth',
    '/api/auth/logout',
    '/health/',
    '/health?check=%',
    '/health?%zz=1',
    '/health#frag',
    '/..%2f..%2fetc/passwd',
    '/../../etc/passwd',
    '/%',
    '/%zz',
    '/api/todos/%E0%A4%A',
    '/api/todos/%00',
    '//',
    '/api//todos',
    `/${'a'.repeat(8000)}`,
    `/api/todos?${'q=1&'.repeat(3000)}`,
    '/api/todos?__proto__[polluted]=1&constructor[prototype][polluted]=1',
    `/${'%41'.repeat(4000)}`,
    '/\u00fc',
    '*',
    'http://evil.example/health',
    '/index.html',
    '/.env',
    '/.git/config',
    '/api/me/..',
    '/debug',
    '/debug/error/x',
    '/api/stats/',
    '/favicon.ico',
    '/api/todos;jsessionid=1',
    '/api/todos.json',
    '/%2e%2e/%2e%2e',
    '/api/%2e%2e/health',
  ];
  for (const path of paths) {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'FOO']) {
      add(
        `${method} ${path.slice(0, 40)}`,
        {
          method,
          path,
          headersObject: json,
          // A session of its own: POST /api/auth/logout ends the token it is sent with.
          headers: [['Authorization', `Bearer ${pathsToken}`]],
          body: method === 'GET' || method === 'HEAD' ? undefined : '{"title":"x"}',
        },
        { mayDrop: method === 'FOO' },
      );
    }
  }

  // Tracing headers and User-Agent: control characters, 100 kB, just under the limit.
  const routes: [method: string, path: string, auth: boolean, body: string | undefined][] = [
    ['POST', '/api/todos', true, '{"title":"traced"}'],
    ['POST', '/api/todos', false, '{"title":"traced"}'],
    ['GET', '/api/stats', true, undefined],
    ['GET', '/health', false, undefined],
    ['GET', '/no-such-route', false, undefined],
  ];
  for (const [label, value] of headerValues()) {
    // Values Node accepts reach the app, which answers as if they were absent or sane.
    const expectFor = (headers: Header[], path: string, auth: boolean) =>
      nodeRefusal(headers) ??
      (path === '/health' ? 200 : path === '/no-such-route' ? 404 : !auth ? 401 : path === '/api/todos' ? 201 : 200);
    const sets: Header[][] = [
      [['X-POSTHOG-DISTINCT-ID', value]],
      [['X-POSTHOG-SESSION-ID', value]],
      [['User-Agent', value]],
      value.length <= 7 * 1024
        ? [
            ['X-POSTHOG-DISTINCT-ID', value],
            ['X-POSTHOG-SESSION-ID', value],
          ]
        : [['x-posthog-session-id', value]],
      [
        ['X-POSTHOG-DISTINCT-ID', 'first'],
        ['X-POSTHOG-DISTINCT-ID', value.slice(0, 7 * 1024)],
      ],
    ];
    for (const headers of sets) {
      for (const [method, path, auth, body] of routes) {
        add(
          `${headers.map(([name]) => name).join('+')} ${label} on ${method} ${path}`,
          { method, path, headers: [['Content-Type', 'application/json'], ...headers], body },
          { auth, mayDrop: nodeRefusal(headers) !== undefined, expect: expectFor(headers, path, auth) },
        );
      }
    }
    // Signup and login with a hostile anonymous id: $identify carries $anon_distinct_id.
    const signupHeaders: Header[] = [
      ['X-POSTHOG-DISTINCT-ID', value],
      ['X-POSTHOG-SESSION-ID', value.slice(0, 256)],
    ];
    const signupBody = JSON.stringify({ email: `h-${unique(10)}@example.com`, password: password(), name: 'Hostile' });
    add(
      `signup with distinct id ${label}`,
      {
        method: 'POST',
        path: '/api/auth/signup',
        headers: [['Content-Type', 'application/json'], ...signupHeaders],
        body: signupBody,
      },
      { mayDrop: nodeRefusal(signupHeaders) !== undefined, expect: nodeRefusal(signupHeaders) ?? 201 },
    );
    const loginHeaders: Header[] = [
      ['X-POSTHOG-DISTINCT-ID', value.slice(0, 7 * 1024)],
      ['X-POSTHOG-SESSION-ID', value.slice(0, 7 * 1024)],
    ];
    add(
      `login with distinct id ${label}`,
      {
        method: 'POST',
        path: '/api/auth/login',
        headers: [['Content-Type', 'application/json'], ...loginHeaders],
        body: JSON.stringify({ email: loginEmail, password: LOGIN_PASSWORD }),
      },
      { mayDrop: nodeRefusal(loginHeaders) !== undefined, expect: nodeRefusal(loginHeaders) ?? 200 },
    );
  }

  // Bad tokens.
  const authorizations = [
    '',
    'Bearer',
    'Bearer ',
    'Bearer  ',
    `Bearer ${badToken()}`,
    `bearer ${token}`,
    `BEARER ${token}`,
    `Bearer ${token}x`,
    `Bearer ${token.slice(0, -1)}`,
    `Bearer ${token} ${badToken()}`,
    `Bearer\t${token}`,
    `Basic ${Buffer.from(`user:${password()}`).toString('base64')}`,
    `Token ${badToken()}`,
    `${token}`,
    `Bearer ${badToken(unique(NEAR_HEADER_LIMIT))}`,
    `Bearer ${badToken(unique(100 * 1024))}`,
    `Bearer \x01${badToken()}`,
    `Bearer ${badToken()}\x7f`,
    `Bearer ${Buffer.from(`${TOKEN_MARKER}-ü😀`, 'utf8').toString('latin1')}`,
    `Bearer ${badToken()}\x00`,
    'Bearer null',
    'Bearer undefined',
    'Bearer [object Object]',
    "Bearer ' OR '1'='1",
    `Bearer ../../${badToken()}`,
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
    `Bearer ${badToken()}=`,
    `Bearer ${'%00'.repeat(30)}`,
  ];
  const protectedRoutes: [method: string, path: string, body: string | undefined][] = [
    ['GET', '/api/me', undefined],
    ['GET', '/api/todos', undefined],
    ['POST', '/api/todos', '{"title":"x"}'],
    ['PATCH', `/api/todos/${todoId}`, '{"title":"y"}'],
    ['DELETE', '/api/todos/00000000-0000-0000-0000-000000000000', undefined],
    ['GET', '/api/stats', undefined],
  ];
  for (const authorization of authorizations) {
    const refused = authorization.length > 16 * 1024 || /[\x00]/.test(authorization);
    for (const [method, path, body] of protectedRoutes) {
      add(
        `Authorization ${JSON.stringify(authorization.slice(0, 30))} on ${method} ${path}`,
        {
          method,
          path,
          headers: [
            ['Content-Type', 'application/json'],
            ['Authorization', authorization],
          ],
          body,
        },
        { mayDrop: refused },
      );
    }
  }
  // Just under Node's header limit: reaches the app, which refuses it.
  add(
    '15 kB bearer token',
    { method: 'GET', path: '/api/me', headers: [['Authorization', `Bearer ${badToken(unique(NEAR_HEADER_LIMIT))}`]] },
    { expect: 401 },
  );
  add(
    '15 kB User-Agent with a valid token',
    {
      method: 'POST',
      path: '/api/todos',
      headers: [
        ['Content-Type', 'application/json'],
        ['User-Agent', unique(NEAR_HEADER_LIMIT)],
      ],
      body: '{"title":"long agent"}',
    },
    { auth: true, expect: 201 },
  );
  for (const [method, path, body] of protectedRoutes) {
    add(`two Authorization headers on ${method} ${path}`, {
      method,
      path,
      headers: [
        ['Content-Type', 'application/json'],
        ['Authorization', `Bearer ${badToken()}`],
        ['Authorization', `Bearer ${token}`],
      ],
      body,
    });
  }

  // Content types and encodings.
  const contentTypes = [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json; charset=nope',
    'application/json; charset=utf-8',
    'application/vnd.api+json',
    'application/json\x01',
    null,
    '',
    'application/json, text/plain',
    ';;;',
    'application/json; boundary="',
    'APPLICATION/JSON',
  ];
  const encodings: [encoding: string | null, body: string | Buffer][] = [
    [null, '{"title":"encoded"}'],
    ['gzip', gzipSync('{"title":"gzipped"}')],
    ['gzip', Buffer.from('not gzip at all')],
    ['deflate', Buffer.from('not deflate')],
    ['br', Buffer.from('not brotli')],
    ['identity', '{"title":"identity"}'],
    ['x-unknown', '{"title":"x"}'],
    ['gzip, gzip', gzipSync(gzipSync('{"title":"twice"}'))],
  ];
  for (const contentType of contentTypes) {
    for (const [encoding, body] of encodings) {
      const headers: Header[] = [];
      if (contentType !== null) headers.push(['Content-Type', contentType]);
      if (encoding) headers.push(['Content-Encoding', encoding]);
      add(
        `Content-Type ${JSON.stringify(contentType)} encoding ${encoding}`,
        { method: 'POST', path: '/api/todos', headers, body },
        { auth: true },
      );
    }
  }
  add(
    'gzip bomb',
    {
      method: 'POST',
      path: '/api/todos',
      headers: [
        ['Content-Type', 'application/json'],
        ['Content-Encoding', 'gzip'],
      ],
      body: gzipSync(`{"title":"${'x'.repeat(20 * 1024 * 1024)}"}`),
    },
    { auth: true, mayDrop: true },
  );

  // Odd todo ids.
  for (const id of [
    '%',
    '%zz',
    '%00',
    '%E0%A4%A',
    'x'.repeat(10_000),
    '..',
    '.',
    "'%20OR%201=1",
    '%F0%9F%98%80',
    todoId.toUpperCase(),
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '%2F',
    '%5C..%5C',
  ]) {
    add(
      `PATCH id ${id.slice(0, 20)}`,
      { method: 'PATCH', path: `/api/todos/${id}`, headersObject: json, body: '{"completed":true}' },
      { auth: true },
    );
    add(`DELETE id ${id.slice(0, 20)}`, { method: 'DELETE', path: `/api/todos/${id}` }, { auth: true });
  }

  // Random damage to valid bodies.
  const random = prng(SEED);
  const valid: [method: string, path: string, auth: boolean, make: () => string][] = [
    ['POST', '/api/todos', true, () => JSON.stringify({ title: 'Buy milk' })],
    [
      'POST',
      '/api/auth/signup',
      false,
      () => JSON.stringify({ email: `f-${unique(8)}@example.com`, password: password(), name: 'Fuzz' }),
    ],
    ['POST', '/api/auth/login', false, () => JSON.stringify({ email, password: password() })],
    ['PATCH', `/api/todos/${todoId}`, true, () => JSON.stringify({ title: 'Renamed', completed: false })],
  ];
  const alphabet = '{}[]":,\\ \u0000\u001f\u007f\u00ff\ud800truefalsnul0123456789.eE+-';
  for (let i = 0; i < 240; i += 1) {
    // Mostly the todo routes: signup and login cost a scrypt each.
    const [method, path, auth, make] = valid[random.pick([0, 0, 0, 3, 3, 3, 1, 2])];
    const chars = [...make()];
    for (let edits = 1 + random.int(4); edits > 0; edits -= 1) {
      const at = random.int(chars.length + 1);
      const op = random.int(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, random.pick([...alphabet]));
      else chars.splice(at, 0, ...random.pick(['{', '[', '"', '\\u', '}', ']']).repeat(1 + random.int(200)));
    }
    add(`fuzzed ${method} ${path} #${i}`, { method, path, headersObject: json, body: chars.join('') }, { auth });
  }
  return cases;
}

const LOGIN_PASSWORD = password('login');

/** Runs `tasks` (functions returning promises) with at most `limit` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number) {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]();
      }
    }),
  );
  return results;
}

/** Every string in a value, with its path, depth first. */
function* strings(value: unknown, path = ''): Generator<[path: string, value: string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) yield* strings(item, `${path}.${key}`);
}

const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
// Properties whose value comes from a request header.
const FROM_HEADERS = ['$session_id', '$user_agent', '$anon_distinct_id'];

it(
  'survives over a thousand hostile requests: no 5xx, still healthy, nothing secret or oversized sent to PostHog',
  { timeout: 60_000 },
  async (t) => {
    const sent = { tokens: new Set<string>(), longHeaderValues: [] as string[] };
    // Two accounts: the cases' failed logins go to the first, their successful
    // ones to the second, so that the failed ones cannot lock the second out.
    const email = `hostile-${unique(12)}@example.com`;
    const loginEmail = `hostile-login-${unique(12)}@example.com`;
    const { token } = await api.signup({ email, password: LOGIN_PASSWORD });
    await api.signup({ email: loginEmail, password: LOGIN_PASSWORD });
    const { token: pathsToken } = await api.login({ email, password: LOGIN_PASSWORD });
    sent.tokens.add(token).add(pathsToken);
    const todo = await api.addTodo(token, 'the target of hostile edits');

    const cases = generateCases({ token, pathsToken, todoId: todo.id, email, loginEmail });
    assert.ok(cases.length >= 1000, `only ${cases.length} cases`);
    for (const { request } of cases) {
      for (const [, value] of request.headers) if (value.length > MAX_HEADER_VALUE) sent.longHeaderValues.push(value);
    }

    const started = performance.now();
    const responses = await pool(
      cases.map(
        ({ request }) =>
          () =>
            rawRequest(api.SERVER_URL, { ...request, timeout: 20_000 }),
      ),
      CONCURRENCY,
    );
    const elapsed = performance.now() - started;

    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    responses.forEach((res, index) => {
      const { name, mayDrop, expect } = cases[index];
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status >= 500) failures.push(`${name}: ${res.status} ${res.body?.toString('utf8').slice(0, 120)}`);
      else if (res.status === 0) {
        if (!mayDrop) failures.push(`${name}: no response (${(res as NoResponse).error})`);
      } else if (expect !== undefined && res.status !== expect)
        failures.push(`${name}: expected ${expect}, got ${res.status} ${res.body?.toString('utf8').slice(0, 120)}`);
      // Tokens handed out by a login among the cases must be checked for too.
      const issued = res.status < 300 && /"token":"([^"]+)"/.exec(res.body?.toString('utf8') ?? '')?.[1];
      if (issued) sent.tokens.add(issued);
    });
    t.diagnostic(`${cases.length} requests in ${Math.round(elapsed)} ms; statuses ${JSON.stringify(statuses)}`);
    assert.ok(
      failures.length === 0,
      `${failures.length} of ${cases.length} hostile requests failed:\n${failures.slice(0, 30).join('\n')}`,
    );

    // Still alive, still answering, still working.
    const health = await api.request('GET', '/health');
    assert.deepEqual([health.status, health.body], [200, { status: 'ok' }], 'the server should still answer /health');
    const after = await api.request('POST', '/api/todos', { json: { title: 'still works' }, token });
    assert.equal(after.status, 201, `a normal request after the storm: ${after.status} ${after.text}`);

    const events = await settledEvents(token);
    t.diagnostic(`${events.length} events captured`);

    const problems: string[] = [];
    for (const event of events) {
      const text = JSON.stringify(event);
      const label = `${event.event} (${event.uuid})`;
      if (event.event === '$exception') {
        const [exception] = event.properties?.$exception_list ?? [];
        problems.push(
          `${label}: an $exception although no request got a 5xx: ${exception?.type}: ${exception?.value} (${event.properties?.$request_method} ${event.properties?.$request_path?.slice(0, 60)})`,
        );
      }
      if (text.includes(PASSWORD_MARKER)) problems.push(`${label} contains a password`);
      if (text.includes(TOKEN_MARKER)) problems.push(`${label} contains a bad token`);
      for (const token of sent.tokens) if (text.includes(token)) problems.push(`${label} contains a session token`);
      for (const [key, value] of [
        ['distinct_id', event.distinct_id],
        ...FROM_HEADERS.map((name) => [name, event.properties?.[name]]),
      ]) {
        if (typeof value !== 'string') continue;
        if (value.length > MAX_HEADER_VALUE) problems.push(`${label}: ${key} is ${value.length} characters long`);
        if (CONTROL.test(value))
          problems.push(`${label}: ${key} contains control characters: ${JSON.stringify(value.slice(0, 60))}`);
      }
      for (const [path, value] of strings(event)) {
        if (value.length <= MAX_HEADER_VALUE) continue;
        for (const raw of sent.longHeaderValues) {
          const clean = raw.replace(/[\x00-\x1f\x7f-\x9f]/g, '').trim();
          if (
            value.includes(raw.slice(0, MAX_HEADER_VALUE + 1)) ||
            value.includes(clean.slice(0, MAX_HEADER_VALUE + 1))
          ) {
            problems.push(`${label}: ${path} carries a raw header value of ${raw.length} characters`);
            break;
          }
        }
      }
    }
    assert.ok(
      problems.length === 0,
      `${problems.length} problems in ${events.length} captured events:\n${problems.slice(0, 30).join('\n')}`,
    );
    // The storm did reach the app: tracing-header requests with a valid token were captured.
    assert.ok(
      events.some((event) => event.event === 'todo_added' && event.properties.$session_id),
      'expected todo_added events with a $session_id',
    );
  },
);
