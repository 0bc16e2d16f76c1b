import { createAnalytics } from './analytics.js';
import { createToken, hashPassword, verifyPassword } from './auth.js';
import { HttpError } from './http-error.js';
import { publicTodo, publicUser } from './store.js';
import { parseLogin, parseNewTodo, parseSignup, parseTodoChanges } from './validation.js';

const todoNotFound = () => new HttpError(404, 'Todo not found');

/**
 * The whole HTTP API as plain data and functions, so each framework adapter
 * only translates requests and responses. A handler gets
 * `{ body, params, user, context }` (context from request-context.js) and
 * returns `{ status, body }`; it throws HttpError for a client's mistake.
 * `bodySchema` marks a route that reads a JSON body, and names the checks in
 * validation.js it must pass.
 */
export function createRoutes({ store, posthog, production }) {
  const analytics = createAnalytics(posthog);

  async function startSession(user) {
    const token = createToken();
    await store.saveSession(user.id, token);
    return { user: publicUser(user), token };
  }

  const routes = [
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
        analytics.userLoggedIn(user, context.anonymousId);
        return { status: 200, body: await startSession(user) };
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
        const changes = parseTodoChanges(body);
        const changed = Object.keys(changes).filter((field) => changes[field] !== todo[field]);
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
