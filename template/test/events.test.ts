// What reaches PostHog. Each scenario runs against its own app (in this
// process) and sink, then stops the app: stopping flushes the SDK, so the sink
// holds every event the scenario produced and the lists below can be exact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniqueEmail, uniquePassword } from './support/client.ts';
import type { AuthBody, StatsBody, TodoBody } from './support/client.ts';
import { appEvents, assertRequestProperties, named, namesOf, only } from './support/events.ts';
import type { PostHogEvent } from './support/events.ts';
import { runScenario } from './support/in-process.ts';

const tracing = ({ distinctId, sessionId }: { distinctId?: string; sessionId?: string }): Record<string, string> => ({
  ...(distinctId !== undefined ? { 'x-posthog-distinct-id': distinctId } : {}),
  ...(sessionId !== undefined ? { 'x-posthog-session-id': sessionId } : {}),
});

describe('signup and login', { concurrency: true }, () => {
  it('signup sends $identify and user_signed_up for the new user', async () => {
    const headers = tracing({ distinctId: 'anon-signup-1', sessionId: 'session-signup-1' });
    const { result: account, events } = await runScenario((api) => api.signup({ name: 'Ada Lovelace', headers }));
    assert.deepEqual(namesOf(events), ['$identify', 'user_signed_up']);

    const identify = only(events, '$identify');
    assert.equal(identify.distinct_id, account.user.id);
    assert.deepEqual(
      { email: identify.properties.$set?.email, name: identify.properties.$set?.name },
      { email: account.email, name: 'Ada Lovelace' },
    );
    assert.equal(identify.properties.$anon_distinct_id, 'anon-signup-1');
    assert.equal(identify.properties.$session_id, 'session-signup-1');

    const signedUp = only(events, 'user_signed_up');
    assert.equal(signedUp.distinct_id, account.user.id);
    assert.equal(signedUp.properties.signup_method, 'email');
    assert.equal(signedUp.properties.$session_id, 'session-signup-1');
    assertRequestProperties(signedUp, { method: 'POST', path: '/api/auth/signup' });
  });

  it('without tracing headers there is no $anon_distinct_id and no $session_id', async () => {
    const { result: account, events } = await runScenario((api) => api.signup());
    assert.deepEqual(namesOf(events), ['$identify', 'user_signed_up']);
    for (const event of events) {
      assert.equal(event.distinct_id, account.user.id);
      assert.ok(!('$session_id' in event.properties), `${event.event} has a $session_id`);
    }
    assert.ok(!('$anon_distinct_id' in only(events, '$identify').properties));
  });

  it('login sends $identify and user_logged_in for the user', async () => {
    const headers = tracing({ distinctId: 'anon-login-1', sessionId: 'session-login-1' });
    const { result: account, events } = await runScenario(async (api) => {
      const created = await api.signup({ name: 'Grace Hopper' });
      await api.login({ email: created.email, password: created.password, headers });
      return created;
    });
    assert.deepEqual(namesOf(events), ['$identify', '$identify', 'user_logged_in', 'user_signed_up']);

    const loginEvents = events.filter((event) => event.properties.$session_id === 'session-login-1');
    assert.deepEqual(namesOf(loginEvents), ['$identify', 'user_logged_in']);
    const identify = only(loginEvents, '$identify');
    assert.equal(identify.distinct_id, account.user.id);
    assert.equal(identify.properties.$set?.email, account.email);
    assert.equal(identify.properties.$set?.name, 'Grace Hopper');
    assert.equal(identify.properties.$anon_distinct_id, 'anon-login-1');

    const loggedIn = only(loginEvents, 'user_logged_in');
    assert.equal(loggedIn.distinct_id, account.user.id);
    assert.equal(loggedIn.properties.login_method, 'email');
    assertRequestProperties(loggedIn, { method: 'POST', path: '/api/auth/login' });
  });
});

describe('todo events', { concurrency: true }, () => {
  it('add, edit, complete and delete each send their event', async () => {
    const session = tracing({ sessionId: 'session-todos' });
    const { result, events } = await runScenario(async (api) => {
      const { user, token } = await api.signup();
      const milk = await api.addTodo(token, 'Buy milk', session);
      const bread = await api.addTodo(token, 'Bake bread 🍞', session);
      const edit = (id: string, json: unknown) =>
        api.request('PATCH', `/api/todos/${id}`, { json, token, headers: session });
      assert.equal((await edit(milk.id, { title: 'Buy oat milk' })).status, 200);
      assert.equal((await edit(milk.id, { completed: true })).status, 200);
      // Already completed: not a false -> true transition, so no second todo_completed.
      assert.equal((await edit(milk.id, { completed: true })).status, 200);
      for (const todo of [milk, bread]) {
        const res = await api.request('DELETE', `/api/todos/${todo.id}`, { token, headers: session });
        assert.equal(res.status, 204);
      }
      return { user, milk, bread };
    });
    const { user, milk, bread } = result;
    const todoEvents = appEvents(events).filter((event) => event.event.startsWith('todo_'));
    assert.deepEqual(namesOf(todoEvents), [
      'todo_added',
      'todo_added',
      'todo_completed',
      'todo_deleted',
      'todo_deleted',
      'todo_updated',
    ]);
    for (const event of todoEvents) {
      assert.equal(event.distinct_id, user.id, `${event.event} distinct id`);
      assert.equal(event.properties.$session_id, 'session-todos', `${event.event} $session_id`);
    }

    const added = named(events, 'todo_added');
    assert.deepEqual(
      added
        .map(({ properties: p }) => [p.todo_id, p.title_length, p.total_todos!] as const)
        .sort((a, b) => a[2] - b[2]),
      [
        [milk.id, 'Buy milk'.length, 1],
        [bread.id, 12, 2], // characters, as the 500-character limit counts them: 🍞 is one
      ],
    );
    assertRequestProperties(added[0], { method: 'POST', path: '/api/todos' });

    const updated = only(events, 'todo_updated');
    assert.equal(updated.properties.todo_id, milk.id);
    assert.ok(Array.isArray(updated.properties.fields_changed), 'fields_changed is a list');
    assert.ok(updated.properties.fields_changed!.includes('title'));
    assert.ok(!updated.properties.fields_changed!.includes('completed'));
    assertRequestProperties(updated, { method: 'PATCH', path: `/api/todos/${milk.id}` });

    const completed = only(events, 'todo_completed');
    assert.equal(completed.properties.todo_id, milk.id);
    assert.equal(typeof completed.properties.time_to_complete_hours, 'number');
    assert.ok(completed.properties.time_to_complete_hours! >= 0);
    assert.ok(completed.properties.time_to_complete_hours! < 1, 'completed within the test, well under an hour');

    const deleted = named(events, 'todo_deleted');
    assert.deepEqual(
      deleted.map(({ properties: p }) => [p.todo_id, p.was_completed]).sort(),
      [
        [milk.id, true],
        [bread.id, false],
      ].sort(),
    );
    const milkDeleted = deleted.find((event) => event.properties.todo_id === milk.id);
    assertRequestProperties(milkDeleted!, { method: 'DELETE', path: `/api/todos/${milk.id}` });
  });

  it('PATCH {completed: true} sends todo_completed and no todo_updated', async () => {
    const { result: todo, events } = await runScenario(async (api) => {
      const { token } = await api.signup();
      const created = await api.addTodo(token);
      await api.request('PATCH', `/api/todos/${created.id}`, { json: { completed: true }, token });
      return created;
    });
    assert.deepEqual(namesOf(events), ['$identify', 'todo_added', 'todo_completed', 'user_signed_up']);
    assert.equal(only(events, 'todo_completed').properties.todo_id, todo.id);
  });

  it('the authenticated user wins over the X-POSTHOG-DISTINCT-ID header', async () => {
    const headers = tracing({ distinctId: 'someone-else', sessionId: 'session-auth-wins' });
    const { result: user, events } = await runScenario(async (api) => {
      const account = await api.signup();
      await api.addTodo(account.token, 'Mine', headers);
      await api.request('GET', '/api/stats', { token: account.token, headers });
      return account.user;
    });
    const requestEvents = appEvents(events).filter((event) => event.properties.$session_id === 'session-auth-wins');
    assert.deepEqual(namesOf(requestEvents), ['stats_viewed', 'todo_added']);
    for (const event of events) assert.equal(event.distinct_id, user.id, `${event.event} distinct id`);
  });

  it('stats_viewed records whether detailed analytics was on', async () => {
    const detailed = new Set<string>();
    const flags = (distinctId: string) => ({ 'detailed-analytics': detailed.has(distinctId) });
    const { result, events } = await runScenario(
      async (api) => {
        const on = await api.signup();
        const off = await api.signup();
        detailed.add(on.user.id);
        const onStats = await api.request<StatsBody>('GET', '/api/stats?from=tests', { token: on.token });
        const offStats = await api.request<StatsBody>('GET', '/api/stats', { token: off.token });
        assert.ok(Array.isArray(onStats.body.todos), 'flag on: stats include todos');
        assert.ok(!('todos' in offStats.body), 'flag off: stats leave todos out');
        return { on: on.user.id, off: off.user.id };
      },
      { flags },
    );
    const viewed = named(events, 'stats_viewed');
    assert.equal(viewed.length, 2);
    const byUser: Record<string, PostHogEvent | undefined> = Object.fromEntries(
      viewed.map((event) => [event.distinct_id, event]),
    );
    assert.equal(byUser[result.on]?.properties.detailed_analytics, true);
    assert.equal(byUser[result.off]?.properties.detailed_analytics, false);
    assertRequestProperties(byUser[result.on]!, { method: 'GET', path: '/api/stats', url: '/api/stats?from=tests' });
  });
});

describe('request context', { concurrency: true }, () => {
  it('each request carries its own $session_id, and none leaks into the next', async () => {
    const { events } = await runScenario(async (api) => {
      const { token } = await api.signup({ headers: tracing({ sessionId: 'session-a' }) });
      await api.addTodo(token, 'from b', tracing({ sessionId: 'session-b' }));
      await api.addTodo(token, 'no session');
    });
    for (const event of named(events, '$identify').concat(named(events, 'user_signed_up'))) {
      assert.equal(event.properties.$session_id, 'session-a', event.event);
    }
    const added = named(events, 'todo_added').sort((a, b) => a.properties.total_todos! - b.properties.total_todos!);
    assert.equal(added.length, 2);
    assert.equal(added[0].properties.$session_id, 'session-b');
    assert.ok(!('$session_id' in added[1].properties), 'a request without the header has no $session_id');
  });

  it('tracing headers are sanitized like posthog-node does', async () => {
    const long = 'x'.repeat(1200);
    const { result: account, events } = await runScenario(async (api) => {
      // Tab and C1 control characters survive HTTP parsing; the server must strip them.
      const dirty = {
        'x-posthog-distinct-id': ` anon\t-\u0085id\u009f${long} `,
        'x-posthog-session-id': '\tsess\u0085ion-1 ',
      };
      await api.request('GET', '/debug/error', { headers: dirty });
      return api.signup({ headers: dirty });
    });
    const expectedId = `anon-id${long}`.slice(0, 1000);
    const exception = only(events, '$exception');
    assert.equal(exception.distinct_id, expectedId);
    assert.equal(exception.properties.$session_id, 'session-1');
    const identify = only(events, '$identify');
    assert.equal(identify.distinct_id, account.user.id);
    assert.equal(identify.properties.$anon_distinct_id, expectedId);
    assert.equal(identify.properties.$session_id, 'session-1');
  });

  it('a header that is empty once sanitized counts as absent', async () => {
    const { events } = await runScenario((api) =>
      api.request('GET', '/debug/error', { headers: tracing({ distinctId: '\u0085\u009f', sessionId: '\u0085' }) }),
    );
    const exception = only(events, '$exception');
    assert.equal(exception.properties.$process_person_profile, false);
    assert.ok(!('$session_id' in exception.properties));
  });
});

describe('errors', { concurrency: true }, () => {
  it('an anonymous /debug/error sends exactly one personless $exception', async () => {
    const { result: res, events } = await runScenario((api) => api.request('GET', '/debug/error'));
    assert.equal(res.status, 500);
    assert.deepEqual(namesOf(events), ['$exception']);
    const [exception] = events as PostHogEvent[];
    assert.equal(exception.properties.$process_person_profile, false);
    assert.ok(!('$session_id' in exception.properties));
    assertExceptionProperties(exception);
  });

  it('$exception carries the header distinct id and session id', async () => {
    const headers = tracing({ distinctId: 'anon-crash', sessionId: 'session-crash' });
    const { events } = await runScenario((api) => api.request('GET', '/debug/error', { headers }));
    assert.deepEqual(namesOf(events), ['$exception']);
    const [exception] = events as PostHogEvent[];
    assert.equal(exception.distinct_id, 'anon-crash');
    assert.equal(exception.properties.$session_id, 'session-crash');
    assert.notEqual(exception.properties.$process_person_profile, false);
    assertExceptionProperties(exception);
  });

  it('$exception of a signed-in caller carries their user id', async () => {
    const headers = tracing({ distinctId: 'anon-crash-2' });
    const { result: user, events } = await runScenario(async (api) => {
      const account = await api.signup();
      await api.request('GET', '/debug/error', { token: account.token, headers });
      return account.user;
    });
    assert.equal(only(events, '$exception').distinct_id, user.id);
  });

  it('client errors (4xx) send no events at all', async () => {
    const headers = tracing({ distinctId: 'anon-4xx', sessionId: 'session-4xx' });
    const { events } = await runScenario(async (api) => {
      const { email, token } = await api.signup();
      const statuses = await Promise.all([
        api.request('POST', '/api/auth/signup', { json: { email: 'nope', password: 'short' }, headers }),
        api.request('POST', '/api/auth/signup', { json: { email, password: uniquePassword() }, headers }),
        api.request('POST', '/api/auth/login', { json: { email, password: uniquePassword() }, headers }),
        api.request('POST', '/api/auth/login', { json: { email: uniqueEmail() }, headers }),
        api.request('GET', '/api/me', { headers }),
        api.request('POST', '/api/todos', { json: { title: '' }, token, headers }),
        api.request('PATCH', '/api/todos/unknown', { json: { title: 'x' }, token, headers }),
        api.request('DELETE', '/api/todos/unknown', { token, headers }),
        api.request('POST', '/api/todos', { json: { title: 'x'.repeat(150 * 1024) }, token, headers }),
        api.request('POST', '/api/todos', { body: '{"title":', token, headers }),
        api.request('GET', '/no/such/route', { headers }),
      ]).then((responses) => responses.map((res) => res.status));
      assert.deepEqual(statuses, [400, 409, 401, 400, 401, 400, 404, 404, 413, 400, 404]);
    });
    assert.deepEqual(namesOf(events), ['$identify', 'user_signed_up']);
  });
});

describe('privacy', { concurrency: true }, () => {
  it('no event contains a password, a token or a raw request body', async () => {
    const secrets: string[] = [];
    const { events } = await runScenario(
      async (api) => {
        const headers = tracing({ distinctId: 'anon-privacy', sessionId: 'session-privacy' });
        const signupBody = { email: uniqueEmail(), password: uniquePassword(), name: 'Private Person' };
        const signup = await api.request<AuthBody>('POST', '/api/auth/signup', { json: signupBody, headers });
        const wrongPassword = uniquePassword();
        await api.request('POST', '/api/auth/login', { json: { email: signupBody.email, password: wrongPassword } });
        const login = await api.login({ email: signupBody.email, password: signupBody.password, headers });
        const token = login.token;
        await api.request('GET', '/api/me', { token });
        const todoBody = { title: 'A private title' };
        const todo = (await api.request<TodoBody>('POST', '/api/todos', { json: todoBody, token, headers })).body.todo;
        const patchBody = { title: 'Another private title', completed: true };
        await api.request('PATCH', `/api/todos/${todo.id}`, { json: patchBody, token, headers });
        await api.request('GET', '/api/stats', { token, headers });
        await api.request('GET', '/debug/error', { token, headers });
        await api.request('DELETE', `/api/todos/${todo.id}`, { token, headers });
        secrets.push(
          signupBody.password,
          wrongPassword,
          signup.body.token,
          token,
          JSON.stringify(signupBody),
          JSON.stringify(todoBody),
          JSON.stringify(patchBody),
        );
      },
      { flags: { 'detailed-analytics': true } },
    );

    assert.ok(appEvents(events).length >= 10, 'the scenario produced events to inspect');
    const everything = JSON.stringify(events);
    for (const secret of secrets) {
      assert.ok(!everything.includes(secret), `an event contains ${secret}`);
    }
  });
});

function assertExceptionProperties(exception: PostHogEvent) {
  const props = exception.properties;
  assert.ok(Array.isArray(props.$exception_list) && props.$exception_list.length > 0, '$exception_list');
  assert.equal(typeof props.$exception_list![0].type, 'string');
  if ('$response_status_code' in props) assert.equal(props.$response_status_code, 500);
  assertRequestProperties(exception, { method: 'GET', path: '/debug/error' });
}
