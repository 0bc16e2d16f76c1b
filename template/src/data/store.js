import { ServiceUnavailableError } from '../domain/errors.js';

// The data the services need, behind one interface: src/data/database.js
// implements it for the database this project was generated with (SQLite or
// PostgreSQL). Every method is async, whatever the database.

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
