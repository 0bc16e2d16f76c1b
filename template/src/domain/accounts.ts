import { createToken, hashPassword, verifyPassword } from '../auth.ts';
import { publicUser, type LoginThrottle, type PublicUser, type Store, type User } from '../data/store.ts';
import type { Caller } from './caller.ts';
import { HttpError } from './errors.ts';
import type { Events } from './events.ts';
import { parseLogin, parseSignup } from './validation.ts';

/** What signup and login answer: the user and a new bearer token. */
export interface Session {
  user: PublicUser;
  token: string;
}

export interface Accounts {
  /** A new account from an unchecked body; identifies the user, merging the browser's anonymous id. */
  signup(body: unknown, anonymousId: string | undefined): Promise<Session>;
  /** A new session for the right email and password; identifies the user as signup does. */
  login(body: unknown, anonymousId: string | undefined): Promise<Session>;
  /** Ends the session of the caller's token; the user's other sessions go on. */
  logout(caller: Pick<Caller, 'user' | 'token'>): Promise<void>;
}

/**
 * Failed logins allowed per email address within a window that opens at the
 * first of them. At the limit, every login for the address gets a 429 until
 * the window closes, even with the right password: guessing a password is
 * then 10 tries per 15 minutes, whatever the number of servers.
 */
export const LOGIN_THROTTLE: LoginThrottle = { limit: 10, windowSeconds: 15 * 60 };

function tooManyFailedLogins(retryAfterSeconds: number): HttpError {
  const seconds = Math.min(LOGIN_THROTTLE.windowSeconds, Math.max(1, retryAfterSeconds));
  return new HttpError(429, `Too many failed logins for this email address: try again in ${seconds} seconds`, {
    headers: { 'Retry-After': String(seconds) },
  });
}

export function createAccounts({ store, events }: { store: Store; events: Events }): Accounts {
  async function startSession(user: User): Promise<Session> {
    const token = createToken();
    await store.saveSession(user.id, token);
    return { user: publicUser(user), token };
  }

  return {
    async signup(body, anonymousId) {
      const { email, password, name } = parseSignup(body);
      const passwordHash = await hashPassword(password);
      // The database's unique constraint decides, so that of simultaneous
      // signups for one email exactly one wins.
      const user = await store.createUser({ email, name, passwordHash });
      if (!user) throw new HttpError(409, 'Email is already registered');
      events.userSignedUp(user, anonymousId);
      return startSession(user);
    },

    async login(body, anonymousId) {
      const { email, password } = parseLogin(body);
      // Both reads at once, so the throttle adds no wait. A locked address is
      // refused before any scrypt work, with the same answer whether or not it
      // has an account.
      const [recent, user] = await Promise.all([
        store.loginFailures(email, LOGIN_THROTTLE),
        store.findUserByEmail(email),
      ]);
      if (recent && recent.failures >= LOGIN_THROTTLE.limit) throw tooManyFailedLogins(recent.retryAfterSeconds);
      // An unknown email is checked against a decoy hash: it costs the same time.
      if (!(await verifyPassword(password, user?.passwordHash))) {
        const failure = await store.recordLoginFailure(email, LOGIN_THROTTLE);
        // Simultaneous failures filled the window while this one was hashing.
        if (!failure.counted) throw tooManyFailedLogins(failure.retryAfterSeconds);
        throw new HttpError(401, 'Wrong email or password');
      }
      // verifyPassword is only true against a stored hash: the user exists.
      events.userLoggedIn(user!, anonymousId);
      const [session] = await Promise.all([startSession(user!), store.clearLoginFailures(email)]);
      return session;
    },

    async logout({ user, token }) {
      // deleteSession is false when the session ended since the caller was
      // resolved (a logout at the same time, on this instance or another).
      if (!user || !token || !(await store.deleteSession(token))) {
        throw new HttpError(401, 'Missing or invalid bearer token');
      }
      events.userLoggedOut(user);
    },
  };
}
