import { ServiceUnavailableError } from './http-error.js';

/**
 * The data the routes need, behind one interface. src/database.js implements
 * it for the database this project was generated with (SQLite or PostgreSQL);
 * routes, analytics and the framework adapters only ever see this shape.
 * Every method is async, whatever the database.
 *
 * @typedef {{ id: string, email: string, name: string, passwordHash: string }} User
 * @typedef {{ id: string, userId: string, title: string, completed: boolean,
 *   createdAt: string, completedAt: string | null }} Todo   timestamps are ISO 8601 strings
 *
 * @typedef {object} Store
 * @property {(email: string) => Promise<User | undefined>} findUserByEmail
 * @property {(user: { email: string, name: string, passwordHash: string }) => Promise<User | undefined>} createUser
 *   undefined when the email is taken: the database's unique constraint decides,
 *   so that of two simultaneous signups exactly one wins.
 * @property {(userId: string, token: string) => Promise<void>} saveSession  stores only the token's digest
 * @property {(token: string | undefined) => Promise<User | undefined>} findUserByToken
 * @property {(userId: string) => Promise<Todo[]>} listTodos  oldest first
 * @property {(userId: string) => Promise<number>} countTodos
 * @property {(userId: string, id: string) => Promise<Todo | undefined>} findTodo
 * @property {(userId: string, title: string) => Promise<Todo>} addTodo
 * @property {(userId: string, id: string, changes: Partial<Pick<Todo, 'title' | 'completed' | 'completedAt'>>) => Promise<Todo | undefined>} updateTodo
 *   the todo as stored after the change; undefined when it no longer exists
 * @property {(userId: string, id: string) => Promise<Todo | undefined>} deleteTodo  the deleted todo
 * @property {() => Promise<boolean>} isAvailable  whether the database answers now (for /health)
 * @property {() => Promise<void>} close
 */

/**
 * The database cannot serve the request right now (unreachable, locked,
 * read-only, out of connections). The request gets a 503, not a 500, and the
 * next one may well succeed: nothing about the process is broken.
 * Each database module wraps its driver's errors of that kind in this one.
 */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  constructor(cause) {
    super(`Database unavailable: ${cause?.message ?? cause}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * A DATABASE_URL the server cannot start with. Its message is one line meant
 * for the operator and never contains a password.
 */
export class DatabaseConfigError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'DatabaseConfigError';
  }
}

export function publicUser({ id, email, name }) {
  return { id, email, name };
}

export function publicTodo({ id, title, completed, createdAt, completedAt }) {
  return { id, title, completed, createdAt, completedAt };
}
