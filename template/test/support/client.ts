// A small HTTP client for the server under test: JSON in, parsed JSON out,
// and helpers that create users the way a browser app would.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { PublicTodo, PublicUser } from '../../src/data/store.ts';

export const USER_AGENT = 'posthog-node-app-tests/1.0';

// The bodies of the API's answers, by route: users and todos as the store's
// publicUser and publicTodo make them.
export interface AuthBody {
  user: PublicUser;
  token: string;
}
export interface MeBody {
  user: PublicUser;
}
export interface TodoBody {
  todo: PublicTodo;
}
/** GET /api/todos: one page, oldest first; nextCursor is null on the last page. */
export interface TodoListBody {
  todos: PublicTodo[];
  nextCursor: string | null;
}
/** GET /api/stats; `todos` (the 10 most recently created) only when detailed-analytics is on for the caller. */
export interface StatsBody {
  total: number;
  completed: number;
  open: number;
  todos?: PublicTodo[];
}
export interface ErrorBody {
  error: string;
}

/**
 * What `request` resolves to. `Body` is the JSON shape the caller expects
 * (`unknown` unless it says); `body` is undefined when the answer is not JSON.
 */
export interface ApiResponse<Body = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: Body;
}

export interface RequestOptions {
  /** Serialized as JSON. */
  json?: unknown;
  /** Sent as is. */
  body?: string;
  token?: string;
  headers?: Record<string, string>;
}

/** A signed-up user: the signup answer and the credentials it was made with. */
export interface Account extends AuthBody {
  email: string;
  password: string;
}

export type Client = ReturnType<typeof createClient>;

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

export function createClient(baseUrl: string) {
  /**
   * `json` is serialized; `body` is sent as is (with a JSON content type
   * unless `headers` says otherwise). Resolves to {status, headers, text, body}
   * where body is the parsed JSON, or undefined when the response is not JSON.
   */
  async function request<Body = unknown>(
    method: string,
    path: string,
    { json, body, token, headers = {} }: RequestOptions = {},
  ): Promise<ApiResponse<Body>> {
    const init: RequestInit & { headers: Record<string, string> } = {
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
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    // The caller names the shape it expects; the assertions of each test check it.
    return { status: res.status, headers: res.headers, text, body: parsed as Body };
  }

  /** Signs a new user up (asserting 201) and returns {user, token, email, password}. */
  async function signup({
    email = uniqueEmail(),
    password = uniquePassword(),
    name = 'Test User',
    headers,
  }: { email?: string; password?: string; name?: string; headers?: Record<string, string> } = {}): Promise<Account> {
    const res = await request<AuthBody>('POST', '/api/auth/signup', { json: { email, password, name }, headers });
    assert.equal(res.status, 201, `signup failed: ${res.status} ${res.text}`);
    return { ...res.body, email, password };
  }

  /** Logs in (asserting 200) and returns {user, token}. */
  async function login({
    email,
    password,
    headers,
  }: {
    email: string;
    password: string;
    headers?: Record<string, string>;
  }) {
    const res = await request<AuthBody>('POST', '/api/auth/login', { json: { email, password }, headers });
    assert.equal(res.status, 200, `login failed: ${res.status} ${res.text}`);
    return res.body;
  }

  /** Creates a todo (asserting 201) and returns it. */
  async function addTodo(token: string, title = 'Buy milk', headers?: Record<string, string>) {
    const res = await request<TodoBody>('POST', '/api/todos', { json: { title }, token, headers });
    assert.equal(res.status, 201, `adding a todo failed: ${res.status} ${res.text}`);
    return res.body.todo;
  }

  return { request, signup, login, addTodo };
}

/** Asserts a JSON error response: the status and a {"error": "<message>"} body. */
export function assertError(res: ApiResponse, status: number): asserts res is ApiResponse<ErrorBody> {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(
    typeof (res.body as ErrorBody | undefined)?.error,
    'string',
    `error body should be {"error": "..."}, got ${res.text}`,
  );
  assert.ok((res.body as ErrorBody).error.length > 0, 'error message should not be empty');
}
