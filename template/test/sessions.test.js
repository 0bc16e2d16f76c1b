// How sessions end (logout, expiry) and how failed logins are throttled, on
// whichever database this project uses, with one server process or two
// sharing the database: the rules hold on every instance.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createToken, hashPassword, tokenDigest } from '../src/auth.js';
import { assertError, uniqueEmail, uniquePassword } from './support/client.js';
import { newPersistentDatabaseUrl } from './support/database.js';
import { assertRequestProperties, named, namesOf, only } from './support/events.js';
import {
  appliedMigrations,
  countRows,
  createSchema1Database,
  hasLoginFailures,
  setLoginFailures,
} from './support/rows.js';
import { runScenario, startServer, stopCleanly } from './support/server.js';

const LIMIT = 10;
const WINDOW_SECONDS = 15 * 60;

const me = (api, token) => api.request('GET', '/api/me', { token });
const logout = (api, token) => api.request('POST', '/api/auth/logout', { token });
const login = (api, email, password) => api.request('POST', '/api/auth/login', { json: { email, password } });

/** Tries `times` wrong passwords for `email`, one after the other; the statuses. */
async function failLogins(api, email, times) {
  const statuses = [];
  for (let i = 0; i < times; i += 1) statuses.push((await login(api, email, uniquePassword())).status);
  return statuses;
}

const repeat = (value, times) => Array.from({ length: times }, () => value);

/** Asserts a 429 for too many failed logins and returns its Retry-After, in seconds. */
function assertThrottled(res, { atMost = WINDOW_SECONDS } = {}) {
  assertError(res, 429);
  const header = res.headers.get('retry-after') ?? '';
  assert.match(header, /^\d+$/, `Retry-After should be whole seconds, got "${header}"`);
  const seconds = Number(header);
  assert.ok(seconds >= 1 && seconds <= atMost, `Retry-After ${seconds} should be from 1 to ${atMost}`);
  return seconds;
}

/** Asserts that a request with `token` is refused exactly as one with a token nobody was given. */
async function assertRefusedLikeAnUnknownToken(api, token) {
  const [res, unknown] = await Promise.all([me(api, token), me(api, createToken())]);
  assertError(res, 401);
  assert.deepEqual({ status: res.status, body: res.body }, { status: unknown.status, body: unknown.body });
}

/** Starts `count` servers on one database (no PostHog), runs `scenario`, and stops them. */
async function withInstances(count, scenario, env = {}) {
  const url = await newPersistentDatabaseUrl();
  // One at a time, so that the first has created the schema: starting together is database.test's.
  const servers = [];
  try {
    for (let i = 0; i < count; i += 1)
      servers.push(await startServer({ token: null, env: { ...env, DATABASE_URL: url } }));
    await scenario(servers, url);
    for (const server of servers) await stopCleanly(server);
  } finally {
    for (const server of servers) await server.kill();
  }
}

describe('logout', { concurrency: true }, () => {
  it('ends that token only: 204 with no body, then 401 like an unknown token; user_logged_out for the user', async () => {
    const { result, events } = await runScenario(async (api) => {
      const account = await api.signup();
      const other = await api.login(account);

      const res = await logout(api, account.token);
      assert.equal(res.status, 204, res.text);
      assert.equal(res.text, '');

      await assertRefusedLikeAnUnknownToken(api, account.token);
      assertError(await api.request('GET', '/api/todos', { token: account.token }), 401);
      assertError(await logout(api, account.token), 401);
      assertError(await logout(api), 401);

      // The user's other session goes on.
      const stillIn = await me(api, other.token);
      assert.equal(stillIn.status, 200, stillIn.text);
      await api.addTodo(other.token, 'after the other logout');
      return account;
    });
    assert.deepEqual(namesOf(events), [
      '$identify',
      '$identify',
      'todo_added',
      'user_logged_in',
      'user_logged_out',
      'user_signed_up',
    ]);
    const loggedOut = only(events, 'user_logged_out');
    assert.equal(loggedOut.distinct_id, result.user.id);
    assertRequestProperties(loggedOut, { method: 'POST', path: '/api/auth/logout' });
  });

  it('on one instance is refused on the other, and the session leaves the database', async () => {
    await withInstances(2, async ([a, b], url) => {
      const account = await a.signup();
      const onB = await b.login(account);
      assert.equal(await countRows(url, 'sessions'), 2);
      assert.equal((await me(b, account.token)).status, 200);

      assert.equal((await logout(a, account.token)).status, 204);
      await assertRefusedLikeAnUnknownToken(b, account.token);
      assertError(await logout(b, account.token), 401);
      assert.equal(await countRows(url, 'sessions'), 1);

      // The session started on B is untouched, on both.
      assert.equal((await me(a, onB.token)).status, 200);
      assert.equal((await logout(a, onB.token)).status, 204);
      await assertRefusedLikeAnUnknownToken(b, onB.token);
      assert.equal(await countRows(url, 'sessions'), 0);
    });
  });
});

describe('expiry', { concurrency: true }, () => {
  it('a token stops working SESSION_TTL_SECONDS after it was issued, on every instance, and leaves the database', async () => {
    const ttl = 5;
    await withInstances(
      2,
      async ([a, b], url) => {
        const account = await a.signup();
        const second = await b.login(account);
        const issuedBy = Date.now();
        assert.equal((await me(b, account.token)).status, 200);
        assert.equal((await me(a, second.token)).status, 200);

        await sleep(issuedBy + ttl * 1000 + 250 - Date.now());
        await assertRefusedLikeAnUnknownToken(a, account.token);
        await assertRefusedLikeAnUnknownToken(b, account.token);
        await assertRefusedLikeAnUnknownToken(b, second.token);
        assertError(await a.request('GET', '/api/todos', { token: second.token }), 401);
        assertError(await logout(a, second.token), 401);
        // Read after it expired: gone.
        assert.equal(await countRows(url, 'sessions'), 0);

        // Logging in again starts a session of the full length.
        const again = await a.login(account);
        assert.equal((await me(b, again.token)).status, 200);
      },
      { SESSION_TTL_SECONDS: String(ttl) },
    );
  });

  it('each new session sweeps expired ones, so the table does not grow', async () => {
    const ttl = 5;
    await withInstances(
      1,
      async ([api], url) => {
        const account = await api.signup();
        await Promise.all(repeat(account, 4).map((credentials) => api.login(credentials)));
        const issuedBy = Date.now();
        assert.equal(await countRows(url, 'sessions'), 5);
        await sleep(issuedBy + ttl * 1000 + 250 - Date.now());
        // Never presented again, these five are swept by the next login.
        await api.login(account);
        assert.equal(await countRows(url, 'sessions'), 1);
      },
      { SESSION_TTL_SECONDS: String(ttl) },
    );
  });

  it('SESSION_TTL_SECONDS must be a whole number of seconds: one line, exit 1', async () => {
    for (const value of ['0', '-5', '1.5', 'soon']) {
      const server = startServer({ token: null, env: { SESSION_TTL_SECONDS: value } });
      await assert.rejects(server, (error) => {
        assert.match(error.message, /exited \(code 1/);
        assert.match(error.message, /SESSION_TTL_SECONDS must be a whole number of seconds/);
        return true;
      });
    }
  });
});

describe('a database from the previous release (schema 1)', () => {
  it('is migrated at start-up, and its tokens expire by when they were issued', async () => {
    const url = await newPersistentDatabaseUrl();
    const password = uniquePassword();
    const user = {
      id: randomUUID(),
      email: uniqueEmail(),
      name: 'Ada',
      passwordHash: await hashPassword(password),
      createdAt: new Date(Date.now() - 3 * 3600_000),
    };
    const secondsAgo = (seconds) => new Date(Date.now() - seconds * 1000);
    const tokens = { recent: createToken(), older: createToken(), old: createToken() };
    await createSchema1Database(url, {
      users: [user],
      sessions: [
        { tokenDigest: tokenDigest(tokens.recent), userId: user.id, createdAt: secondsAgo(10) },
        { tokenDigest: tokenDigest(tokens.older), userId: user.id, createdAt: secondsAgo(600) },
        { tokenDigest: tokenDigest(tokens.old), userId: user.id, createdAt: secondsAgo(2 * 3600) },
      ],
    });
    assert.deepEqual(await appliedMigrations(url), [1]);

    // An hour: the two recent tokens work, the one issued two hours ago has expired.
    const first = await startServer({ token: null, env: { DATABASE_URL: url, SESSION_TTL_SECONDS: '3600' } });
    try {
      assert.deepEqual(await appliedMigrations(url), [1, 2, 3]);
      for (const token of [tokens.recent, tokens.older]) {
        const res = await me(first, token);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.user.id, user.id);
      }
      await assertRefusedLikeAnUnknownToken(first, tokens.old);
      // The new tables are there: failures are counted, a login clears them.
      assert.equal((await login(first, user.email, uniquePassword())).status, 401);
      assert.equal((await login(first, user.email, password)).status, 200);
    } finally {
      await stopCleanly(first);
    }

    // Five minutes, as configured now: the token issued ten minutes ago (before
    // the migration, not at it) has expired; the one from ten seconds ago has not.
    const second = await startServer({ token: null, env: { DATABASE_URL: url, SESSION_TTL_SECONDS: '300' } });
    try {
      assert.deepEqual(await appliedMigrations(url), [1, 2, 3]);
      assert.equal((await me(second, tokens.recent)).status, 200);
      await assertRefusedLikeAnUnknownToken(second, tokens.older);
    } finally {
      await stopCleanly(second);
    }
  });
});

describe('failed logins', { concurrency: true }, () => {
  it('10 failures lock the address, even for the right password: 429 with Retry-After, no events', async () => {
    const { result, events } = await runScenario(async (api) => {
      const account = await api.signup();
      const other = await api.signup();
      // The address as typed differently: one address, as at signup.
      const typed = ` ${account.email.toUpperCase()} `;

      assert.deepEqual(await failLogins(api, typed, LIMIT - 1), repeat(401, LIMIT - 1));
      // Malformed requests are no attempts.
      for (const json of [
        { email: account.email, password: '' },
        { email: account.email },
        { email: 'nope', password: 'x' },
      ]) {
        assertError(await api.request('POST', '/api/auth/login', { json }), 400);
      }
      assert.deepEqual(await failLogins(api, account.email, 1), [401]);

      const locked = await login(api, account.email, uniquePassword());
      const seconds = assertThrottled(locked);
      assert.ok(seconds > WINDOW_SECONDS - 60, `Retry-After ${seconds}: the window opened moments ago`);
      assertThrottled(await login(api, account.email, account.password));
      assertThrottled(await login(api, typed, account.password));

      // Nothing else is affected: other addresses, signup, the tokens already issued.
      await api.login(other);
      assertError(
        await api.request('POST', '/api/auth/signup', { json: { email: account.email, password: uniquePassword() } }),
        409,
      );
      await api.signup();
      assert.equal((await me(api, account.token)).status, 200);
      return { account, other };
    });
    assert.deepEqual(namesOf(events), [
      '$identify',
      '$identify',
      '$identify',
      '$identify',
      'user_logged_in',
      'user_signed_up',
      'user_signed_up',
      'user_signed_up',
    ]);
    assert.equal(only(events, 'user_logged_in').distinct_id, result.other.user.id);
    assert.deepEqual(named(events, '$exception'), []);
  });

  it('throttles an unknown address the same way, so a 429 tells nothing about accounts', async () => {
    await runScenario(async (api) => {
      const account = await api.signup();
      const unknown = uniqueEmail();
      const [known, nobody] = await Promise.all([
        failLogins(api, account.email, LIMIT),
        failLogins(api, unknown, LIMIT),
      ]);
      assert.deepEqual(known, repeat(401, LIMIT));
      assert.deepEqual(nobody, repeat(401, LIMIT));

      const [a, b] = await Promise.all([
        login(api, account.email, account.password),
        login(api, unknown, account.password),
      ]);
      assertThrottled(a);
      assertThrottled(b);
      const withoutSeconds = (res) => res.body.error.replace(/\d+/g, 'N');
      assert.equal(withoutSeconds(a), withoutSeconds(b));
    });
  });

  it('a 429 neither counts nor extends the window, which closes 15 minutes after its first failure', async () => {
    await withInstances(1, async ([api], url) => {
      const account = await api.signup();
      // Ten failures, the first of them 14 minutes 54 seconds ago.
      const windowEnd = Date.now() + 6000;
      await setLoginFailures(url, {
        email: account.email,
        failures: LIMIT,
        windowStartedAt: new Date(windowEnd - WINDOW_SECONDS * 1000),
      });
      assertThrottled(await login(api, account.email, uniquePassword()), { atMost: 6 });
      assertThrottled(await login(api, account.email, account.password), { atMost: 6 });
      await sleep(windowEnd + 250 - Date.now());

      const res = await login(api, account.email, account.password);
      assert.equal(res.status, 200, res.text);
      assert.equal(await hasLoginFailures(url, account.email), false, 'a successful login clears the failures');

      // A full window that closed long ago does not lock: the next failure opens a new one.
      const unknown = uniqueEmail();
      await setLoginFailures(url, {
        email: unknown,
        failures: LIMIT,
        windowStartedAt: new Date(Date.now() - (WINDOW_SECONDS + 1) * 1000),
      });
      assert.deepEqual(await failLogins(api, unknown, LIMIT), repeat(401, LIMIT));
      assertThrottled(await login(api, unknown, uniquePassword()));
    });
  });

  it('a successful login clears the count', async () => {
    await withInstances(1, async ([api]) => {
      const account = await api.signup();
      assert.deepEqual(await failLogins(api, account.email, LIMIT - 1), repeat(401, LIMIT - 1));
      await api.login(account);
      assert.deepEqual(await failLogins(api, account.email, LIMIT), repeat(401, LIMIT));
      assertThrottled(await login(api, account.email, account.password));
    });
  });

  it('of 20 simultaneous wrong passwords for one address, 10 get 401 and the rest 429', async () => {
    const { events } = await runScenario(async (api) => {
      const account = await api.signup();
      const answers = await Promise.all(repeat(account.email, 20).map((email) => login(api, email, uniquePassword())));
      const statuses = answers.map((res) => res.status);
      assert.equal(statuses.filter((status) => status === 401).length, LIMIT, `statuses: ${statuses}`);
      for (const res of answers.filter((answer) => answer.status !== 401)) assertThrottled(res);
      assertThrottled(await login(api, account.email, account.password));
    });
    assert.deepEqual(namesOf(events), ['$identify', 'user_signed_up']);
  });

  it('counts the failures of every instance sharing the database, one after the other or at once', async () => {
    await withInstances(2, async ([a, b]) => {
      const account = await a.signup();
      for (let i = 0; i < LIMIT; i += 1) {
        assert.equal((await login(i % 2 ? b : a, account.email, uniquePassword())).status, 401);
      }
      assertThrottled(await login(a, account.email, account.password));
      assertThrottled(await login(b, account.email, account.password));

      const unknown = uniqueEmail();
      const answers = await Promise.all(
        [...repeat(a, 10), ...repeat(b, 10)].map((api) => login(api, unknown, uniquePassword())),
      );
      const statuses = answers.map((res) => res.status);
      assert.equal(statuses.filter((status) => status === 401).length, LIMIT, `statuses: ${statuses}`);
      assert.equal(statuses.filter((status) => status === 429).length, 20 - LIMIT, `statuses: ${statuses}`);
    });
  });

  it('closed windows leave the database', async () => {
    await withInstances(1, async ([api], url) => {
      const stale = repeat(null, 5).map(() => uniqueEmail());
      for (const email of stale) {
        await setLoginFailures(url, {
          email,
          failures: 3,
          windowStartedAt: new Date(Date.now() - (WINDOW_SECONDS + 60) * 1000),
        });
      }
      const fresh = uniqueEmail();
      assert.deepEqual(await failLogins(api, fresh, 1), [401]);
      for (const email of stale) assert.equal(await hasLoginFailures(url, email), false);
      assert.equal(await countRows(url, 'login_failures'), 1);
    });
  });
});
