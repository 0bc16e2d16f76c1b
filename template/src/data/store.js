import { ServiceUnavailableError } from './http-error.js';

/*
 * The data the routes need, behind one interface, Store. src/database.js
 * implements it for the database this project was generated with (SQLite or
 * PostgreSQL); routes, analytics and the framework adapters only ever see this
 * shape. Every method is async, whatever the database:
 *
 *   findUserByEmail(email)             the user, or undefined
 *   createUser({ email, name, passwordHash })
 *                                      the new user; undefined when the email is taken (the
 *                                      unique constraint decides: of two simultaneous signups
 *                                      exactly one wins)
 *   saveSession(userId, token)         stores only the token's digest
 *   findUserByToken(token)             the session's user, or undefined
 *   listTodos(userId)                  oldest first
 *   countTodos(userId)
 *   findTodo(userId, id)               the todo, or undefined
 *   addTodo(userId, title)             the new todo
 *   updateTodo(userId, id, { title?, completed?, completedAt? })
 *                                      the todo after the change, or undefined
 *   deleteTodo(userId, id)             the deleted todo, or undefined
 *   isAvailable()                      whether the database answers now (for /health)
 *   close()
 *
 * A user is { id, email, name, passwordHash }, name null when none was given;
 * a todo is { id, userId, title, completed, createdAt, completedAt }, its
 * timestamps ISO 8601 strings (completedAt null while it is open).
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

// What the API shows of a user and of a todo: never the password hash, and
// no ids the client has no use for.

export function publicUser({ id, email, name }) {
  return { id, email, name };
}

export function publicTodo({ id, title, completed, createdAt, completedAt }) {
  return { id, title, completed, createdAt, completedAt };
}
