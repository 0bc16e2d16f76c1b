// A small HTTP client for the server under test: JSON in, parsed JSON out,
// and helpers that create users the way a browser app would.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';

export const USER_AGENT = 'posthog-node-app-tests/1.0';

export function uniqueEmail() {
  return `user-${randomUUID()}@example.com`;
}

export function uniquePassword() {
  return `pw-${randomBytes(12).toString('hex')}`;
}

/**
 * A PostHog host where nothing listens, so every connection is refused at
 * once: port 1 of the loopback interface. The kernel never hands it out for
 * port 0, which every server in these tests listens on; the port of a sink
 * closed for the purpose could be taken by another test's server meanwhile.
 */
export const UNREACHABLE_POSTHOG = 'http://127.0.0.1:1';

export function newProjectToken() {
  return `phc_test_${randomBytes(12).toString('hex')}`;
}

export function createClient(baseUrl) {
  /**
   * `json` is serialized; `body` is sent as is (with a JSON content type
   * unless `headers` says otherwise). Resolves to {status, headers, text, body}
   * where body is the parsed JSON, or undefined when the response is not JSON.
   */
  async function request(method, path, { json, body, token, headers = {} } = {}) {
    const init = {
      method,
      headers: { 'user-agent': USER_AGENT, ...headers },
    };
    if (token) init.headers.authorization = `Bearer ${token}`;
    if (json !== undefined || body !== undefined) {
      init.body = json !== undefined ? JSON.stringify(json) : body;
      init.headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(new URL(path, baseUrl), init);
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    // The caller names the shape it expects; the assertions of each test check it.
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  /** Signs a new user up (asserting 201) and returns {user, token, email, password}. */
  async function signup({ email = uniqueEmail(), password = uniquePassword(), name = 'Test User', headers } = {}) {
    const res = await request('POST', '/api/auth/signup', { json: { email, password, name }, headers });
    assert.equal(res.status, 201, `signup failed: ${res.status} ${res.text}`);
    return { ...res.body, email, password };
  }

  /** Logs in (asserting 200) and returns {user, token}. */
  async function login({ email, password, headers }) {
    const res = await request('POST', '/api/auth/login', { json: { email, password }, headers });
    assert.equal(res.status, 200, `login failed: ${res.status} ${res.text}`);
    return res.body;
  }

  /** Creates a todo (asserting 201) and returns it. */
  async function addTodo(token, title = 'Buy milk', headers) {
    const res = await request('POST', '/api/todos', { json: { title }, token, headers });
    assert.equal(res.status, 201, `adding a todo failed: ${res.status} ${res.text}`);
    return res.body.todo;
  }

  return { request, signup, login, addTodo };
}

/** Asserts a JSON error response: the status and a {"error": "<message>"} body. */
export function assertError(res, status) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(typeof res.body?.error, 'string', `error body should be {"error": "..."}, got ${res.text}`);
  assert.ok(res.body.error.length > 0, 'error message should not be empty');
}
