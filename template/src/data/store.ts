import { ServiceUnavailableError } from '../domain/errors.ts';

// The data the services need, behind one interface: src/data/database.ts
// implements it for the database this project was generated with (SQLite or
// PostgreSQL). Every method is async, whatever the database.

export interface User {
  id: string;
  email: string;
  /** null when the user gave none */
  name: string | null;
  passwordHash: string;
}

export interface Todo {
  id: string;
  userId: string;
  title: string;
  completed: boolean;
  /** ISO 8601 */
  createdAt: string;
  /** ISO 8601; null while the todo is open */
  completedAt: string | null;
}

/** What createUser needs: the id is the store's to choose. */
export type NewUser = Pick<User, 'email' | 'name' | 'passwordHash'>;

/** How many failed logins an address may have within how long. */
export interface LoginThrottle {
  limit: number;
  windowSeconds: number;
}

/** An address's window of failed logins, as the database has it now. */
export interface LoginFailures {
  failures: number;
  /** Seconds until the window closes, rounded up. */
  retryAfterSeconds: number;
}

/** How the store is opened: what src/config.ts read from the environment. */
export interface StoreOptions {
  /** A token is valid this long after it was issued (as configured now, not when it was issued). */
  sessionTtlSeconds?: number;
}

/** A user's numbers, kept up to date by every write rather than counted. */
export interface TodoCounts {
  total: number;
  completed: number;
}

/**
 * A todo's place in its user's list (todos.seq): every new todo gets a higher
 * one than any before it, and it never changes, so "after this one" means the
 * same thing however many todos are added or deleted meanwhile.
 */
export type TodoPosition = number;

/** One page of a user's todos, oldest first. */
export interface TodoPage {
  todos: Todo[];
  /** Where the next page starts (after the last todo of this one); null when this is the last page. */
  next: TodoPosition | null;
}

/** What updateTodo may change; a field left out keeps its value. */
export type TodoChanges = Partial<Pick<Todo, 'title' | 'completed' | 'completedAt'>>;

export interface Store {
  findUserByEmail(email: string): Promise<User | undefined>;
  /**
   * undefined when the email is taken: the database's unique constraint
   * decides, so that of two simultaneous signups exactly one wins.
   */
  createUser(user: NewUser): Promise<User | undefined>;
  /**
   * Stores only the token's digest. Also removes a bounded batch of expired
   * sessions, so the table holds no more than the sessions still valid and
   * those that expired since the last login.
   */
  saveSession(userId: string, token: string): Promise<void>;
  /** The user of a token that is neither unknown, logged out nor expired; an expired one is removed. */
  findUserByToken(token: string | undefined): Promise<User | undefined>;
  /** Ends one session (logout); false when it was already gone. */
  deleteSession(token: string): Promise<boolean>;
  /** The failed logins counted in an address's current window; undefined when there is no window open. */
  loginFailures(email: string, policy: LoginThrottle): Promise<LoginFailures | undefined>;
  /**
   * Counts one failed login in one atomic statement, opening a new window when
   * none is open. A window already at the limit is left as it is: `counted`
   * is then false and the attempt is refused (simultaneous failures race for
   * the last places, and the database decides). Also removes a bounded batch
   * of closed windows.
   */
  recordLoginFailure(email: string, policy: LoginThrottle): Promise<LoginFailures & { counted: boolean }>;
  /** A successful login forgets the address's failures. */
  clearLoginFailures(email: string): Promise<void>;
  // What a request reads and writes is bounded by the page it asks for, never
  // by how many todos the user or the database holds: each query below is
  // served by an index, and counts come from counters kept with the todos.

  /** At most `limit` todos, oldest first, after `after` (from the first when undefined). */
  listTodos(userId: string, page: { limit: number; after?: TodoPosition }): Promise<TodoPage>;
  /** The `count` most recently created, newest first. */
  recentTodos(userId: string, count: number): Promise<Todo[]>;
  /** The user's counters (zero for a user who never had a todo). */
  todoCounts(userId: string): Promise<TodoCounts>;
  findTodo(userId: string, id: string): Promise<Todo | undefined>;
  /** Adds the todo and counts it, in one transaction: the counts include it. */
  addTodo(userId: string, title: string): Promise<{ todo: Todo; counts: TodoCounts }>;
  /**
   * The todo as stored after the change; undefined when it no longer exists.
   * A change of `completed` moves the completed counter in the same transaction.
   */
  updateTodo(userId: string, id: string, changes: TodoChanges): Promise<Todo | undefined>;
  /** The deleted todo, uncounted in the same transaction; undefined when there was none. */
  deleteTodo(userId: string, id: string): Promise<Todo | undefined>;
  /** Whether the database answers now (for /health). */
  isAvailable(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The database cannot serve the request right now (unreachable, locked,
 * read-only, out of connections). The request gets a 503, not a 500, and the
 * next one may well succeed: nothing about the process is broken.
 * Each database module wraps its driver's errors of that kind in this one.
 */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  constructor(cause: Error) {
    super(`Database unavailable: ${cause?.message ?? cause}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * A DATABASE_URL the server cannot start with. Its message is one line meant
 * for the operator and never contains a password.
 */
export class DatabaseConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseConfigError';
  }
}

export type PublicUser = Pick<User, 'id' | 'email' | 'name'>;
export type PublicTodo = Pick<Todo, 'id' | 'title' | 'completed' | 'createdAt' | 'completedAt'>;

// What the API shows of a user and of a todo: never the password hash, and
// no ids the client has no use for.

export function publicUser({ id, email, name }: User): PublicUser {
  return { id, email, name };
}

export function publicTodo({ id, title, completed, createdAt, completedAt }: Todo): PublicTodo {
  return { id, title, completed, createdAt, completedAt };
}
