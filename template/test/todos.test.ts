// A user's todos however many there are: GET /api/todos in pages that a
// client walks with nextCursor, and the counters behind /api/stats and
// total_todos, kept right by every write (from two instances at once too) and
// filled for the todos an earlier release left in the database.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createToken, hashPassword, tokenDigest } from '../src/auth.ts';
import type { PublicTodo } from '../src/data/store.ts';
import { assertError, uniqueEmail } from './support/client.ts';
import type { ApiResponse, Client, StatsBody, TodoBody, TodoListBody } from './support/client.ts';
import { newPersistentDatabaseUrl } from './support/database.ts';
import { named } from './support/events.ts';
import { runScenario, startApp } from './support/in-process.ts';
import type { TestApp } from './support/in-process.ts';
import { appliedMigrations, createSchema1Database, createSchema2Database } from './support/rows.ts';
import type { EarlierRows, Schema1Todo } from './support/rows.ts';
import { startServer, stopCleanly } from './support/server.ts';
import type { TestServer } from './support/server.ts';

let api: TestApp;

before(async () => {
  api = await startApp({ token: null });
});

after(async () => {
  await api?.stop();
});

const list = (client: Client, token: string, query = '') =>
  client.request<TodoListBody>('GET', `/api/todos${query}`, { token });

const stats = async (client: Client, token: string) => {
  const res = await client.request<StatsBody>('GET', '/api/stats', { token });
  assert.equal(res.status, 200, res.text);
  return res.body;
};

/** Adds `count` todos titled `${prefix} 1`, `${prefix} 2`, ... one after the other. */
async function addTodos(client: Client, token: string, count: number, prefix = 'todo'): Promise<PublicTodo[]> {
  const todos = [];
  for (let i = 1; i <= count; i += 1) todos.push(await client.addTodo(token, `${prefix} ${i}`));
  return todos;
}

/** Follows nextCursor from the first page to the last; `between` runs after each page but the last. */
async function walk(
  client: Client,
  token: string,
  { limit, between }: { limit?: number; between?: (page: PublicTodo[]) => Promise<void> } = {},
) {
  const pages: PublicTodo[][] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams();
    if (limit !== undefined) params.set('limit', String(limit));
    if (cursor !== null) params.set('cursor', cursor);
    const res: ApiResponse<TodoListBody> = await list(client, token, params.size ? `?${params}` : '');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['nextCursor', 'todos']);
    if (limit !== undefined) assert.ok(res.body.todos.length <= limit, `${res.body.todos.length} todos in a page`);
    pages.push(res.body.todos);
    cursor = res.body.nextCursor;
    if (cursor !== null) {
      assert.equal(typeof cursor, 'string');
      await between?.(res.body.todos);
    }
  } while (cursor !== null);
  return pages;
}

const idsOf = (todos: PublicTodo[]) => todos.map((todo) => todo.id);

describe('GET /api/todos in pages', { concurrency: true }, () => {
  it('gives the todos oldest first, `limit` at a time, and nextCursor null on the last page', async () => {
    const { token } = await api.signup();
    const todos = await addTodos(api, token, 23);

    const pages = await walk(api, token, { limit: 10 });
    assert.deepEqual(
      pages.map((page) => page.length),
      [10, 10, 3],
    );
    assert.deepEqual(pages.flat(), todos);

    // 50 by default; a page that ends exactly at the last todo is the last page.
    assert.deepEqual(await walk(api, token), [todos]);
    assert.deepEqual(
      (await walk(api, token, { limit: 23 })).map((page) => page.length),
      [23],
    );
    assert.deepEqual(
      (await walk(api, token, { limit: 1 })).map((page) => page.length),
      Array(23).fill(1),
    );

    const empty = await list(api, (await api.signup()).token);
    assert.deepEqual(empty.body, { todos: [], nextCursor: null });
  });

  it('gives at most 100 a page, and 50 when the client does not say', async () => {
    const { token } = await api.signup();
    await addTodos(api, token, 101);
    const first = await list(api, token);
    assert.equal(first.body.todos.length, 50);
    assert.equal(typeof first.body.nextCursor, 'string');
    const most = await list(api, token, '?limit=100');
    assert.equal(most.body.todos.length, 100);
    const rest = await list(api, token, `?limit=100&cursor=${encodeURIComponent(most.body.nextCursor!)}`);
    assert.equal(rest.body.todos.length, 1);
    assert.equal(rest.body.nextCursor, null);
  });

  it('returns every todo exactly once, in order, while others are added and deleted between pages', async () => {
    const alice = await api.signup();
    const bob = await api.signup();
    // Every todo of Alice's in the order it was created, including those added during the walk.
    const created = await addTodos(api, alice.token, 40, 'before');
    const deleted = new Set<string>();
    const seen = new Set<string>();
    const remove = async (todo: PublicTodo) => {
      assert.equal((await api.request('DELETE', `/api/todos/${todo.id}`, { token: alice.token })).status, 204);
      deleted.add(todo.id);
    };
    let round = 0;

    const pages = await walk(api, alice.token, {
      limit: 6,
      between: async (page) => {
        round += 1;
        for (const todo of page) seen.add(todo.id);
        // Added: at the end, for Alice and for someone else.
        created.push(await api.addTodo(alice.token, `during ${round}`));
        await api.addTodo(bob.token, `bob ${round}`);
        // Deleted: the todo the cursor points at, one already seen, one not yet seen.
        const last = page.at(-1)!;
        if (!deleted.has(last.id)) await remove(last);
        const earlier = created.find((todo) => seen.has(todo.id) && !deleted.has(todo.id));
        if (earlier) await remove(earlier);
        const ahead = created.findLast(
          (todo) => !seen.has(todo.id) && !deleted.has(todo.id) && !todo.title.startsWith('during'),
        );
        if (ahead && round % 2 === 0) await remove(ahead);
        if (round % 3 === 0) {
          // Completing or renaming moves nothing.
          const next = created.find((todo) => !seen.has(todo.id) && !deleted.has(todo.id))!;
          await api.request('PATCH', `/api/todos/${next.id}`, {
            json: { title: 'renamed', completed: true },
            token: alice.token,
          });
        }
      },
    });

    const walked = idsOf(pages.flat());
    assert.equal(new Set(walked).size, walked.length, 'a todo came back twice');
    const order = new Map(created.map((todo, index) => [todo.id, index]));
    for (const id of walked) assert.ok(order.has(id), "a todo that is not Alice's");
    const positions = walked.map((id) => order.get(id)!);
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
      'not in the order they were created',
    );
    // Every todo that existed throughout the walk: none deleted, and none added during it.
    const throughout = created.filter((todo) => todo.title.startsWith('before') && !deleted.has(todo.id));
    for (const todo of throughout) assert.ok(walked.includes(todo.id), `${todo.title} was skipped`);
    // Deleted before its page came: not there.
    for (const id of deleted) if (!seen.has(id)) assert.ok(!walked.includes(id), 'a deleted todo came back');
    assert.ok(round >= 5, `the walk took only ${round + 1} pages`);
  });

  it('answers 400 for a bad limit or cursor, and ignores other parameters', async () => {
    const { token } = await api.signup();
    await addTodos(api, token, 3);
    const cursor = (await list(api, token, '?limit=1')).body.nextCursor!;
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=-1',
      'limit=1.5',
      'limit=ten',
      'limit=',
      'limit=1&limit=2',
      'cursor=',
      'cursor=not-a-cursor',
      `cursor=${cursor}.`,
      `cursor=${cursor}&cursor=${cursor}`,
      `cursor=${Buffer.from('0').toString('base64url')}`,
      `cursor=${Buffer.from('-1').toString('base64url')}`,
      `cursor=${Buffer.from('1e3').toString('base64url')}`,
      'cursor=%00',
    ]) {
      const res = await list(api, token, `?${query}`);
      assertError(res, 400);
    }
    const res = await list(api, token, `?limit=1&cursor=${encodeURIComponent(cursor)}&sort=desc&page=2`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.todos.length, 1);
  });

  it("never shows another user's todos, whatever the cursor", async () => {
    const alice = await api.signup();
    const bob = await api.signup();
    await addTodos(api, alice.token, 3, 'alice');
    const bobs = await addTodos(api, bob.token, 3, 'bob');
    const cursor = (await list(api, alice.token, '?limit=1')).body.nextCursor!;
    const res = await list(api, bob.token, `?cursor=${encodeURIComponent(cursor)}`);
    assert.equal(res.status, 200, res.text);
    for (const todo of res.body.todos) assert.ok(idsOf(bobs).includes(todo.id));
  });
});

describe('counters', { concurrency: true }, () => {
  it('count every add, completion, reopening and deletion, and total_todos comes from them', async () => {
    const { result: user, events } = await runScenario(async (client) => {
      const { token, user } = await client.signup();
      const todos = await addTodos(client, token, 4);
      assert.deepEqual(await stats(client, token), { total: 4, completed: 0, open: 4 });
      const patch = (todo: PublicTodo, json: object) =>
        client.request<TodoBody>('PATCH', `/api/todos/${todo.id}`, { json, token });
      await patch(todos[0], { completed: true });
      await patch(todos[1], { completed: true });
      // Again: already completed, nothing moves.
      await patch(todos[1], { completed: true, title: 'still done' });
      await patch(todos[2], { completed: true });
      await patch(todos[2], { completed: false });
      assert.deepEqual(await stats(client, token), { total: 4, completed: 2, open: 2 });
      await client.request('DELETE', `/api/todos/${todos[0].id}`, { token });
      await client.request('DELETE', `/api/todos/${todos[3].id}`, { token });
      // Already gone, and someone else's: nothing moves.
      await client.request('DELETE', `/api/todos/${todos[3].id}`, { token });
      const other = await client.signup();
      await client.request('DELETE', `/api/todos/${todos[1].id}`, { token: other.token });
      assert.deepEqual(await stats(client, token), { total: 2, completed: 1, open: 1 });
      await client.addTodo(token, 'fifth');
      assert.deepEqual(await stats(client, token), { total: 3, completed: 1, open: 2 });
      return user;
    });
    const totals = named(events, 'todo_added')
      .filter((event) => event.distinct_id === user.id)
      .map((event) => event.properties.total_todos);
    assert.deepEqual(totals, [1, 2, 3, 4, 3]);
  });

  it('stay right under 50 simultaneous writes to one user from two instances', async () => {
    const url = await newPersistentDatabaseUrl();
    const servers: TestServer[] = [];
    try {
      // One after the other, so that the first has created the schema.
      for (let i = 0; i < 2; i += 1) servers.push(await startServer({ token: null, env: { DATABASE_URL: url } }));
      const [a, b] = servers;
      const { token } = await a.signup();
      const todos = await addTodos(a, token, 24);
      for (const todo of todos.slice(0, 8)) {
        await a.request('PATCH', `/api/todos/${todo.id}`, { json: { completed: true }, token });
      }
      // Each change below is sent to both instances at once, so that they race for the same rows.
      const both = (method: string, path: string, json?: object) =>
        [a, b].map((server) => server.request(method, path, { json, token }));
      const writes = [
        ...Array.from({ length: 10 }, (_, i) => a.request('POST', '/api/todos', { json: { title: `a ${i}` }, token })),
        ...Array.from({ length: 10 }, (_, i) => b.request('POST', '/api/todos', { json: { title: `b ${i}` }, token })),
        // Completed by both: counted once.
        ...todos.slice(8, 13).flatMap((todo) => both('PATCH', `/api/todos/${todo.id}`, { completed: true })),
        // Reopened by both: uncounted once.
        ...todos.slice(0, 3).flatMap((todo) => both('PATCH', `/api/todos/${todo.id}`, { completed: false })),
        // Deleted by both (one gets 404), open and completed ones.
        ...[...todos.slice(3, 6), ...todos.slice(16, 20)].flatMap((todo) => both('DELETE', `/api/todos/${todo.id}`)),
      ];
      assert.equal(writes.length, 50);
      const statuses = (await Promise.all(writes)).map((res) => res.status);
      assert.deepEqual(
        statuses.filter((status) => ![200, 201, 204, 404].includes(status)),
        [],
        `statuses: ${statuses}`,
      );
      assert.equal(statuses.filter((status) => status === 204).length, 7, `statuses: ${statuses}`);

      const remaining = (await walk(a, token, { limit: 100 })).flat();
      const truth = {
        total: remaining.length,
        completed: remaining.filter((todo) => todo.completed).length,
        open: remaining.filter((todo) => !todo.completed).length,
      };
      assert.deepEqual(truth, { total: 37, completed: 7, open: 30 });
      assert.deepEqual(await stats(a, token), truth);
      assert.deepEqual(await stats(b, token), truth);
      for (const server of servers) await stopCleanly(server);
    } finally {
      for (const server of servers) await server.kill();
    }
  });
});

describe('a database from an earlier release', { concurrency: true }, () => {
  for (const [schema, create] of [
    [1, createSchema1Database],
    [2, createSchema2Database],
  ] as const) {
    it(`(schema ${schema}) is migrated at start-up, with counters filled from the todos already there`, async () => {
      const url = await newPersistentDatabaseUrl();
      const hour = 3600_000;
      const person = async (name: string) => ({
        id: randomUUID(),
        email: uniqueEmail(),
        name,
        passwordHash: await hashPassword('a password'),
        createdAt: new Date(Date.now() - 48 * hour),
      });
      const [ada, bob, cy] = await Promise.all([person('Ada'), person('Bob'), person('Cy')]);
      const tokens = { ada: createToken(), bob: createToken(), cy: createToken() };
      const todo = (userId: string, index: number, completed: boolean): Schema1Todo => ({
        id: randomUUID(),
        userId,
        title: `old ${index}`,
        completed,
        createdAt: new Date(Date.now() - (30 - index) * hour),
        completedAt: completed ? new Date(Date.now() - hour) : null,
      });
      // Created in turns, as users do.
      const todos: Schema1Todo[] = [];
      for (let i = 0; i < 12; i += 1) {
        todos.push(todo(ada.id, i, i % 3 === 0));
        if (i < 3) todos.push(todo(cy.id, i, true));
      }
      const rows: EarlierRows = {
        users: [ada, bob, cy],
        sessions: Object.entries(tokens).map(([who, token]) => ({
          tokenDigest: tokenDigest(token),
          userId: { ada, bob, cy }[who as keyof typeof tokens].id,
          createdAt: new Date(Date.now() - hour),
        })),
        todos,
      };
      await create(url, rows);
      assert.deepEqual(
        await appliedMigrations(url),
        Array.from({ length: schema }, (_, i) => i + 1),
      );

      const { events } = await runScenario(
        async (client) => {
          assert.deepEqual(await appliedMigrations(url), [1, 2, 3]);
          assert.deepEqual(await stats(client, tokens.ada), { total: 12, completed: 4, open: 8 });
          assert.deepEqual(await stats(client, tokens.bob), { total: 0, completed: 0, open: 0 });
          assert.deepEqual(await stats(client, tokens.cy), { total: 3, completed: 3, open: 0 });
          // Their todos in the order they were created, a page at a time.
          const adas = (await walk(client, tokens.ada, { limit: 5 })).flat();
          assert.deepEqual(
            idsOf(adas),
            todos.filter((row) => row.userId === ada.id).map((row) => row.id),
          );
          // The counters go on from there.
          await client.addTodo(tokens.ada, 'new');
          await client.addTodo(tokens.bob, 'first');
          await client.request('DELETE', `/api/todos/${adas[0].id}`, { token: tokens.ada });
          await client.request('PATCH', `/api/todos/${adas[1].id}`, { json: { completed: true }, token: tokens.ada });
          assert.deepEqual(await stats(client, tokens.ada), { total: 12, completed: 4, open: 8 });
          assert.deepEqual(await stats(client, tokens.bob), { total: 1, completed: 0, open: 1 });
        },
        { env: { DATABASE_URL: url } },
      );
      assert.deepEqual(
        named(events, 'todo_added')
          .map((event) => event.properties.total_todos)
          .sort((x, y) => x! - y!),
        [1, 13],
      );
    });
  }
});
