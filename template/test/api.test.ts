// The HTTP API from the outside: statuses, response shapes and error bodies.
// One app, in this process, serves the whole file; every test uses its own users.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CaptureSink } from '../scripts/capture-sink.ts';
import { assertError, uniqueEmail, uniquePassword } from './support/client.ts';
import type {
  AuthBody,
  ErrorBody,
  MeBody,
  RequestOptions,
  StatsBody,
  TodoBody,
  TodoListBody,
} from './support/client.ts';
import { startApp, startCaptureSink } from './support/in-process.ts';
import type { TestApp } from './support/in-process.ts';
import { eventually } from './support/log.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const detailedUsers = new Set<string>();
let sink: CaptureSink;
let api: TestApp;

before(async () => {
  sink = await startCaptureSink({
    flags: (distinctId) => ({ 'detailed-analytics': detailedUsers.has(distinctId) }),
  });
  api = await startApp({ sink });
});

after(async () => {
  await api?.stop();
  await sink?.close();
});

const keysOf = (object: object) => Object.keys(object).sort();

describe('GET /health', () => {
  it('answers 200 {"status":"ok"}', async () => {
    const res = await api.request('GET', '/health');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /application\/json/);
    assert.deepEqual(res.body, { status: 'ok' });
  });
});

describe('URLs the framework cannot decode', () => {
  for (const path of ['/api/todos/%zz', `/api/todos/${'x'.repeat(200)}`]) {
    it(`answer ${path.slice(0, 20)}... with a JSON 4xx of the usual shape`, async () => {
      const { token } = await api.signup();
      const res = await api.request('PATCH', path, { json: { title: 'x' }, token });
      assert.ok(res.status >= 400 && res.status < 500, `got ${res.status}: ${res.text}`);
      assert.deepEqual(Object.keys(res.body ?? {}), ['error'], res.text);
    });
  }
});

describe('unknown routes', () => {
  for (const [method, path] of [
    ['GET', '/nope'],
    ['POST', '/api/nope'],
    ['GET', '/api/todos/extra/segments'],
    ['DELETE', '/health'],
  ]) {
    it(`${method} ${path} answers 404 JSON`, async () => {
      assertError(await api.request(method, path), 404);
    });
  }
});

describe('POST /api/auth/signup', () => {
  it('creates the user: 201 {user: {id, email, name}, token}', async () => {
    const email = uniqueEmail();
    const res = await api.request<AuthBody>('POST', '/api/auth/signup', {
      json: { email, password: uniquePassword(), name: 'Ada' },
    });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(keysOf(res.body), ['token', 'user']);
    assert.deepEqual(keysOf(res.body.user), ['email', 'id', 'name']);
    assert.equal(res.body.user.email, email);
    assert.equal(res.body.user.name, 'Ada');
    assert.equal(typeof res.body.user.id, 'string');
    assert.ok(res.body.user.id.length > 0);
    // At least 256 random bits, hex or base64url encoded.
    assert.equal(typeof res.body.token, 'string');
    assert.ok(res.body.token.length >= 43, `token looks too short: ${res.body.token}`);
  });

  it('treats name as optional', async () => {
    const res = await api.request<AuthBody>('POST', '/api/auth/signup', {
      json: { email: uniqueEmail(), password: uniquePassword() },
    });
    assert.equal(res.status, 201, res.text);
    assert.ok('name' in res.body.user);
  });

  it('gives every session its own token', async () => {
    const a = await api.signup();
    const b = await api.signup();
    assert.notEqual(a.token, b.token);
    assert.notEqual(a.user.id, b.user.id);
  });

  const invalid: Record<string, unknown> = {
    'an email without @': { email: 'not-an-email', password: uniquePassword() },
    'an empty email': { email: '', password: uniquePassword() },
    'a 7-character password': { email: uniqueEmail(), password: '1234567' },
    'a missing password': { email: uniqueEmail() },
    'a missing email': { password: uniquePassword() },
    'a numeric email': { email: 42, password: uniquePassword() },
    'a numeric password': { email: uniqueEmail(), password: 123456789 },
    'a non-string name': { email: uniqueEmail(), password: uniquePassword(), name: { first: 'Ada' } },
  };
  for (const [what, json] of Object.entries(invalid)) {
    it(`answers 400 for ${what}`, async () => {
      assertError(await api.request('POST', '/api/auth/signup', { json }), 400);
    });
  }

  for (const body of ['[]', '"text"', '42', 'null', 'true']) {
    it(`answers 400 for the non-object body ${body}`, async () => {
      assertError(await api.request('POST', '/api/auth/signup', { body }), 400);
    });
  }

  it('answers 409 when the email is taken', async () => {
    const { email } = await api.signup();
    const res = await api.request('POST', '/api/auth/signup', { json: { email, password: uniquePassword() } });
    assertError(res, 409);
  });
});

describe('POST /api/auth/login', () => {
  it('answers 200 with the same shape as signup and a new token', async () => {
    const account = await api.signup({ name: 'Grace' });
    const res = await api.request<AuthBody>('POST', '/api/auth/login', {
      json: { email: account.email, password: account.password },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(keysOf(res.body), ['token', 'user']);
    assert.deepEqual(res.body.user, account.user);
    assert.notEqual(res.body.token, account.token);

    const me = await api.request('GET', '/api/me', { token: res.body.token });
    assert.equal(me.status, 200);
  });

  it('answers 401 for a wrong password', async () => {
    const { email } = await api.signup();
    assertError(await api.request('POST', '/api/auth/login', { json: { email, password: uniquePassword() } }), 401);
  });

  it('answers 401 for an unknown email', async () => {
    const json = { email: uniqueEmail(), password: uniquePassword() };
    assertError(await api.request('POST', '/api/auth/login', { json }), 401);
  });

  for (const [what, options] of Object.entries<RequestOptions>({
    'a missing password': { json: { email: uniqueEmail() } },
    'a numeric password': { json: { email: uniqueEmail(), password: 12345678 } },
    'a malformed email': { json: { email: 'nope', password: uniquePassword() } },
    'a non-object body': { body: '["a@b.c", "password"]' },
  })) {
    it(`answers 400 for ${what}`, async () => {
      assertError(await api.request('POST', '/api/auth/login', options), 400);
    });
  }
});

describe('GET /api/me', () => {
  it('answers 200 {user} for a valid token', async () => {
    const { user, token } = await api.signup();
    const res = await api.request<MeBody>('GET', '/api/me', { token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { user });
  });

  for (const [what, authorization] of Object.entries<string | undefined>({
    'no Authorization header': undefined,
    'an empty bearer token': 'Bearer ',
    'another scheme': 'Basic dXNlcjpwYXNz',
    'a malformed header': 'Bearer two tokens',
    'an unknown token': `Bearer ${'0'.repeat(64)}`,
  })) {
    it(`answers 401 for ${what}`, async () => {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
      assertError(await api.request('GET', '/api/me', { headers }), 401);
    });
  }
});

describe('todos', () => {
  it('creates a todo: 201 {todo: {id, title, completed, createdAt, completedAt}}', async () => {
    const { token } = await api.signup();
    const res = await api.request<TodoBody>('POST', '/api/todos', { json: { title: 'Write tests' }, token });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(keysOf(res.body), ['todo']);
    const { todo } = res.body;
    assert.deepEqual(keysOf(todo), ['completed', 'completedAt', 'createdAt', 'id', 'title']);
    assert.equal(todo.title, 'Write tests');
    assert.equal(todo.completed, false);
    assert.equal(todo.completedAt, null);
    assert.match(todo.createdAt, ISO_DATE);
    assert.equal(typeof todo.id, 'string');
  });

  it('accepts a title of exactly 500 characters', async () => {
    const { token } = await api.signup();
    const res = await api.request('POST', '/api/todos', { json: { title: 'x'.repeat(500) }, token });
    assert.equal(res.status, 201, res.text);
  });

  for (const [what, json] of Object.entries<unknown>({
    'a missing title': {},
    'an empty title': { title: '' },
    'a numeric title': { title: 42 },
    'a null title': { title: null },
    'a 501-character title': { title: 'x'.repeat(501) },
  })) {
    it(`answers 400 for ${what}`, async () => {
      const { token } = await api.signup();
      assertError(await api.request('POST', '/api/todos', { json, token }), 400);
    });
  }

  it('answers 400 for a non-object body', async () => {
    const { token } = await api.signup();
    assertError(await api.request('POST', '/api/todos', { body: '["title"]', token }), 400);
  });

  // Every framework words it the same, whether the body is missing or not JSON at all.
  for (const [what, options] of Object.entries<RequestOptions>({
    'no body': {},
    'a text/plain body': { body: '{"title":"x"}', headers: { 'content-type': 'text/plain' } },
  })) {
    it(`answers 400 "Request body must be a JSON object" for ${what}`, async () => {
      const { token } = await api.signup();
      const res = await api.request('POST', '/api/todos', { ...options, token });
      assertError(res, 400);
      assert.equal(res.body.error, 'Request body must be a JSON object');
    });
  }

  it("lists only the caller's todos", async () => {
    const alice = await api.signup();
    const bob = await api.signup();
    const mine = [await api.addTodo(alice.token, 'one'), await api.addTodo(alice.token, 'two')];
    await api.addTodo(bob.token, 'not yours');

    const res = await api.request<TodoListBody>('GET', '/api/todos', { token: alice.token });
    assert.equal(res.status, 200);
    assert.deepEqual(keysOf(res.body), ['nextCursor', 'todos']);
    assert.deepEqual(res.body.todos, mine);
    assert.equal(res.body.nextCursor, null);
    const empty = await api.request('GET', '/api/todos', { token: (await api.signup()).token });
    assert.deepEqual(empty.body, { todos: [], nextCursor: null });
  });

  it('edits the title and completes and reopens a todo', async () => {
    const { token } = await api.signup();
    const todo = await api.addTodo(token, 'Draft');

    const renamed = await api.request<TodoBody>('PATCH', `/api/todos/${todo.id}`, { json: { title: 'Final' }, token });
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.body, { todo: { ...todo, title: 'Final' } });

    const done = await api.request<TodoBody>('PATCH', `/api/todos/${todo.id}`, { json: { completed: true }, token });
    assert.equal(done.status, 200);
    assert.equal(done.body.todo.completed, true);
    assert.match(done.body.todo.completedAt!, ISO_DATE);

    const reopened = await api.request<TodoBody>('PATCH', `/api/todos/${todo.id}`, {
      json: { completed: false },
      token,
    });
    assert.equal(reopened.status, 200);
    assert.equal(reopened.body.todo.completed, false);
    assert.equal(reopened.body.todo.completedAt, null);

    const list = await api.request<TodoListBody>('GET', '/api/todos', { token });
    assert.deepEqual(list.body.todos, [reopened.body.todo]);
  });

  for (const [what, options] of Object.entries<RequestOptions>({
    'an empty title': { json: { title: '' } },
    'a 501-character title': { json: { title: 'x'.repeat(501) } },
    'a non-boolean completed': { json: { completed: 'yes' } },
    'a non-object body': { body: '"done"' },
  })) {
    it(`answers 400 to PATCH with ${what}`, async () => {
      const { token } = await api.signup();
      const todo = await api.addTodo(token);
      assertError(await api.request('PATCH', `/api/todos/${todo.id}`, { ...options, token }), 400);
    });
  }

  it('deletes a todo: 204 with an empty body', async () => {
    const { token } = await api.signup();
    const todo = await api.addTodo(token);
    const res = await api.request('DELETE', `/api/todos/${todo.id}`, { token });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.deepEqual((await api.request('GET', '/api/todos', { token })).body, { todos: [], nextCursor: null });
    assertError(await api.request('DELETE', `/api/todos/${todo.id}`, { token }), 404);
  });

  it('answers 404 for an unknown id', async () => {
    const { token } = await api.signup();
    const id = 'does-not-exist';
    assertError(await api.request('PATCH', `/api/todos/${id}`, { json: { title: 'x' }, token }), 404);
    assertError(await api.request('DELETE', `/api/todos/${id}`, { token }), 404);
  });

  it("answers 404 for another user's todo and leaves it alone", async () => {
    const owner = await api.signup();
    const intruder = await api.signup();
    const todo = await api.addTodo(owner.token, 'private');

    const patch = await api.request('PATCH', `/api/todos/${todo.id}`, {
      json: { title: 'hijacked', completed: true },
      token: intruder.token,
    });
    assertError(patch, 404);
    assertError(await api.request('DELETE', `/api/todos/${todo.id}`, { token: intruder.token }), 404);

    const list = await api.request<TodoListBody>('GET', '/api/todos', { token: owner.token });
    assert.deepEqual(list.body.todos, [todo]);
  });

  for (const [method, path] of [
    ['GET', '/api/todos'],
    ['POST', '/api/todos'],
    ['PATCH', '/api/todos/some-id'],
    ['DELETE', '/api/todos/some-id'],
    ['GET', '/api/stats'],
  ]) {
    it(`${method} ${path} answers 401 without a token`, async () => {
      const json = method === 'POST' || method === 'PATCH' ? { title: 'x' } : undefined;
      assertError(await api.request(method, path, { json }), 401);
    });
  }
});

describe('GET /api/stats', () => {
  async function userWithTodos() {
    const account = await api.signup();
    const todos = [
      await api.addTodo(account.token, 'a'),
      await api.addTodo(account.token, 'b'),
      await api.addTodo(account.token, 'c'),
    ];
    await api.request('PATCH', `/api/todos/${todos[0].id}`, { json: { completed: true }, token: account.token });
    return account;
  }

  it('answers {total, completed, open} when detailed-analytics is off', async () => {
    const { token } = await userWithTodos();
    const res = await api.request<StatsBody>('GET', '/api/stats', { token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { total: 3, completed: 1, open: 2 });
  });

  // The flag is read inside the request: PostHog hanging must not hang the route.
  // (Without a short flags timeout the SDK would hold it for about 9 s.)
  it('answers without the breakdown, promptly, while PostHog does not answer', { timeout: 5000 }, async () => {
    const { token, user } = await userWithTodos();
    detailedUsers.add(user.id);
    sink.setMode('stall');
    try {
      const res = await api.request<StatsBody>('GET', '/api/stats', { token });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { total: 3, completed: 1, open: 2 });
    } finally {
      sink.setMode('ok');
    }
  });

  it("adds the caller's todos when detailed-analytics is on for them", async () => {
    const { token, user } = await userWithTodos();
    detailedUsers.add(user.id);
    const res = await api.request<StatsBody>('GET', '/api/stats', { token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(keysOf(res.body), ['completed', 'open', 'todos', 'total']);
    assert.deepEqual([res.body.total, res.body.completed, res.body.open], [3, 1, 2]);
    const listed = await api.request<TodoListBody>('GET', '/api/todos', { token });
    assert.deepEqual(res.body.todos, listed.body.todos.toReversed());
    // The flag was asked for this user, not for anyone else.
    assert.ok(
      sink.requests.some(
        (r) => r.path.startsWith('/flags') && (r.body as { distinct_id?: string } | undefined)?.distinct_id === user.id,
      ),
    );
  });

  it('gives the 10 most recently created todos, newest first, however many there are', async () => {
    const { token, user } = await userWithTodos();
    detailedUsers.add(user.id);
    const added = [];
    for (let i = 1; i <= 12; i += 1) added.push(await api.addTodo(token, `later ${i}`));
    await api.request('DELETE', `/api/todos/${added[11].id}`, { token });
    const res = await api.request<StatsBody>('GET', '/api/stats', { token });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([res.body.total, res.body.completed, res.body.open], [14, 1, 13]);
    assert.deepEqual(res.body.todos, added.slice(1, 11).toReversed());
  });

  it('counts zero todos', async () => {
    const { token } = await api.signup();
    const res = await api.request<StatsBody>('GET', '/api/stats', { token });
    assert.deepEqual(res.body, { total: 0, completed: 0, open: 0 });
  });
});

describe('request bodies', () => {
  it('answers 413 for a body over 100 kB', async () => {
    const { token } = await api.signup();
    const json = { title: 'x'.repeat(150 * 1024) };
    assertError(await api.request('POST', '/api/todos', { json, token }), 413);
    const signup = { email: uniqueEmail(), password: uniquePassword(), name: 'x'.repeat(150 * 1024) };
    assertError(await api.request('POST', '/api/auth/signup', { json: signup }), 413);
  });

  it('answers 400 for malformed JSON', async () => {
    const { token } = await api.signup();
    assertError(await api.request('POST', '/api/auth/signup', { body: '{"email": "a@b.c",' }), 400);
    assertError(await api.request('POST', '/api/todos', { body: '{title: nope}', token }), 400);
  });
});

describe('GET /debug/error', () => {
  it('answers 500 {"error": "Internal Server Error"} and logs the error once', async () => {
    const logged = () => api.output.stderr.split('Error: Deliberate error from /debug/error').length - 1;
    const before = logged();
    const res = await api.request<ErrorBody>('GET', '/debug/error');
    assert.equal(res.status, 500);
    assert.match(res.headers.get('content-type')!, /application\/json/);
    assert.equal(res.body?.error, 'Internal Server Error');
    await eventually(() => logged() > before);
    assert.equal(logged(), before + 1, api.output.stderr);
  });

  it('leaves the server running', async () => {
    await api.request('GET', '/debug/error');
    assert.equal((await api.request('GET', '/health')).status, 200);
  });
});
