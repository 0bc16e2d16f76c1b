import { createAnalytics } from './analytics.ts';
import { createToken, hashPassword, verifyPassword } from './auth.ts';
import { HttpError } from './http-error.ts';
import type { AppPostHog } from './posthog.ts';
import type { RequestContext } from './request-context.ts';
import { publicTodo, publicUser, type Store, type TodoChanges, type User } from './store.ts';
import { parseLogin, parseNewTodo, parseSignup, parseTodoChanges } from './validation.ts';

/** A route's answer: a status and, unless it is empty (204), a JSON body. */
export interface Reply {
  status: number;
  body?: unknown;
}

/** What a route handler gets: the parsed JSON body (unchecked), the path parameters, the caller. */
export interface RouteRequest {
  body: unknown;
  params: Record<string, string>;
  /** The caller, when the request carried a valid token. */
  user: User | undefined;
  context: RequestContext;
}

/** The request of a route that requires a signed-in caller: there always is one. */
export interface AuthorizedRequest extends RouteRequest {
  user: User;
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The checks in validation.ts a route's body must pass. */
export type BodySchema = 'signup' | 'login' | 'newTodo' | 'todoChanges';

interface RouteBase {
  method: Method;
  path: string;
  bodySchema?: BodySchema;
}

/** One route of the API. With `auth`, a request without a valid token gets a 401 before the handler runs. */
export type Route =
  | (RouteBase & { auth?: false; handler(request: RouteRequest): Reply | Promise<Reply> })
  | (RouteBase & { auth: true; handler(request: AuthorizedRequest): Reply | Promise<Reply> });

export interface RoutesOptions {
  store: Store;
  posthog: AppPostHog;
  production: boolean;
}

const todoNotFound = () => new HttpError(404, 'Todo not found');

/**
 * The whole HTTP API as plain data and functions, so each framework adapter
 * only translates requests and responses. A handler gets
 * `{ body, params, user, context }` (context from request-context.ts) and
 * returns `{ status, body }`; it throws HttpError for a client's mistake.
 * `bodySchema` marks a route that reads a JSON body, and names the checks in
 * validation.ts it must pass.
 */
export function createRoutes({ store, posthog, production }: RoutesOptions): Route[] {
  const analytics = createAnalytics(posthog);

  async function startSession(user: User) {
    const token = createToken();
    await store.saveSession(user.id, token);
    return { user: publicUser(user), token };
  }

  const routes: Route[] = [
    {
      method: 'GET',
      path: '/health',
      // Healthy means the database answers: a load balancer then stops sending
      // traffic to an instance that could only answer 503.
      handler: async () =>
        (await store.isAvailable())
          ? { status: 200, body: { status: 'ok' } }
          : { status: 503, body: { status: 'unavailable' } },
    },
    {
      method: 'POST',
      path: '/api/auth/signup',
      bodySchema: 'signup',
      async handler({ body, context }) {
        const { email, password, name } = parseSignup(body);
        const passwordHash = await hashPassword(password);
        // The database's unique constraint decides, so that of simultaneous
        // signups for one email exactly one wins.
        const user = await store.createUser({ email, name, passwordHash });
        if (!user) throw new HttpError(409, 'Email is already registered');
        analytics.userSignedUp(user, context.anonymousId);
        return { status: 201, body: await startSession(user) };
      },
    },
    {
      method: 'POST',
      path: '/api/auth/login',
      bodySchema: 'login',
      async handler({ body, context }) {
        const { email, password } = parseLogin(body);
        const user = await store.findUserByEmail(email);
        if (!(await verifyPassword(password, user?.passwordHash))) {
          throw new HttpError(401, 'Wrong email or password');
        }
        // verifyPassword is only true against a stored hash: the user exists.
        analytics.userLoggedIn(user!, context.anonymousId);
        return { status: 200, body: await startSession(user!) };
      },
    },
    {
      method: 'GET',
      path: '/api/me',
      auth: true,
      handler: ({ user }) => ({ status: 200, body: { user: publicUser(user) } }),
    },
    {
      method: 'GET',
      path: '/api/todos',
      auth: true,
      handler: async ({ user }) => ({
        status: 200,
        body: { todos: (await store.listTodos(user.id)).map(publicTodo) },
      }),
    },
    {
      method: 'POST',
      path: '/api/todos',
      auth: true,
      bodySchema: 'newTodo',
      async handler({ user, body }) {
        const { title } = parseNewTodo(body);
        const todo = await store.addTodo(user.id, title);
        analytics.todoAdded(user, todo, await store.countTodos(user.id));
        return { status: 201, body: { todo: publicTodo(todo) } };
      },
    },
    {
      method: 'PATCH',
      path: '/api/todos/:id',
      auth: true,
      bodySchema: 'todoChanges',
      async handler({ user, params, body }) {
        const todo = await store.findTodo(user.id, params.id);
        if (!todo) throw todoNotFound();
        const changes: TodoChanges = parseTodoChanges(body);
        const changed = (Object.keys(changes) as (keyof TodoChanges)[]).filter(
          (field) => changes[field] !== todo[field],
        );
        const completing = changes.completed === true && !todo.completed;

        if (changed.includes('completed')) {
          changes.completedAt = changes.completed ? new Date().toISOString() : null;
        }
        const updated = await store.updateTodo(user.id, todo.id, changes);
        // Deleted by another request in the meantime.
        if (!updated) throw todoNotFound();

        // Completing is its own event; anything else that changed is an edit.
        if (completing) analytics.todoCompleted(user, updated);
        if (changed.some((field) => field !== 'completed' || !completing)) {
          analytics.todoUpdated(user, updated, changed);
        }
        return { status: 200, body: { todo: publicTodo(updated) } };
      },
    },
    {
      method: 'DELETE',
      path: '/api/todos/:id',
      auth: true,
      async handler({ user, params }) {
        const todo = await store.deleteTodo(user.id, params.id);
        if (!todo) throw todoNotFound();
        analytics.todoDeleted(user, todo);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/api/stats',
      auth: true,
      async handler({ user }) {
        const todos = await store.listTodos(user.id);
        const completed = todos.filter((todo) => todo.completed).length;
        const { detailed, flags } = await analytics.detailedAnalytics(user);
        analytics.statsViewed(user, { detailed, flags });
        const stats = { total: todos.length, completed, open: todos.length - completed };
        return { status: 200, body: detailed ? { ...stats, todos: todos.map(publicTodo) } : stats };
      },
    },
  ];

  if (!production) {
    routes.push({
      method: 'GET',
      path: '/debug/error',
      handler() {
        throw new Error('Deliberate error from /debug/error to test PostHog error tracking');
      },
    });
  }

  return routes;
}
