import { createToken, hashPassword, verifyPassword } from '../auth.ts';
import { publicUser, type PublicUser, type Store, type User } from '../data/store.ts';
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
      const user = await store.findUserByEmail(email);
      // An unknown email is checked against a decoy hash: it costs the same time.
      if (!(await verifyPassword(password, user?.passwordHash))) throw new HttpError(401, 'Wrong email or password');
      // verifyPassword is only true against a stored hash: the user exists.
      events.userLoggedIn(user!, anonymousId);
      return startSession(user!);
    },
  };
}
