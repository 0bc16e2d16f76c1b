import { createToken, hashPassword, verifyPassword } from '../auth.js';
import { publicUser } from '../data/store.js';
import { HttpError } from './errors.js';
import { parseLogin, parseSignup } from './validation.js';

export function createAccounts({ store, events }) {
  async function startSession(user) {
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
      events.userLoggedIn(user, anonymousId);
      return startSession(user);
    },
  };
}
