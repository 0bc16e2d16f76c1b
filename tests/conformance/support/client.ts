// The server under test, as pytest started it (tests/conformance.py), and a
// small JSON client for it. The suite needs nothing from the generated
// project's own test/ folder: that is the user's to change.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite through tests/conformance.py (pytest)`);
  return value;
}

/** The server's base URL, as its "listening on" line printed it. */
export const SERVER_URL = required('CONFORMANCE_URL');
/** The project token the server was started with: every event must carry it. */
export const PROJECT_TOKEN = required('CONFORMANCE_TOKEN');

export const USER_AGENT = 'posthog-node-conformance/1.0';

export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
}
export interface PublicTodo {
  id: string;
  title: string;
  completed: boolean;
}
export interface AuthBody {
  user: PublicUser;
  token: string;
}
export interface TodoBody {
  todo: PublicTodo;
}
export interface ErrorBody {
  error: string;
}

/** `body` is the parsed JSON, or undefined when the answer is not JSON. */
export interface ApiResponse<Body = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: Body;
}

export interface RequestOptions {
  /** Serialized as JSON. */
  json?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

/** A signed-up user: the signup answer and the credentials it was made with. */
export interface Account extends AuthBody {
  email: string;
  password: string;
}

export const uniqueEmail = () => `user-${randomUUID()}@example.com`;
export const uniquePassword = () => `pw-${randomBytes(12).toString('hex')}`;

export async function request<Body = unknown>(
  method: string,
  path: string,
  { json, token, headers = {} }: RequestOptions = {},
): Promise<ApiResponse<Body>> {
  const init: RequestInit & { headers: Record<string, string> } = {
    method,
    headers: { 'user-agent': USER_AGENT, ...headers },
  };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(new URL(path, SERVER_URL), init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed as Body };
}

/** Signs a new user up (asserting 201). */
export async function signup({
  email = uniqueEmail(),
  password = uniquePassword(),
  name = 'Conformance',
}: { email?: string; password?: string; name?: string } = {}): Promise<Account> {
  const res = await request<AuthBody>('POST', '/api/auth/signup', { json: { email, password, name } });
  assert.equal(res.status, 201, `signup failed: ${res.status} ${res.text}`);
  return { ...res.body, email, password };
}

/** Logs in (asserting 200): a new session, with a token of its own. */
export async function login({ email, password }: { email: string; password: string }): Promise<AuthBody> {
  const res = await request<AuthBody>('POST', '/api/auth/login', { json: { email, password } });
  assert.equal(res.status, 200, `login failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Creates a todo (asserting 201) and returns it. */
export async function addTodo(token: string, title = 'Buy milk'): Promise<PublicTodo> {
  const res = await request<TodoBody>('POST', '/api/todos', { json: { title }, token });
  assert.equal(res.status, 201, `adding a todo failed: ${res.status} ${res.text}`);
  return res.body.todo;
}
