import Router from '@koa/router';
import { publicUser } from '../../data/store.js';
import { requireUser } from '../caller.js';

/** Signup, login, logout and the signed-in user, under /api. */
export function accountsRouter({ accounts }) {
  const router = new Router({ prefix: '/api' });

  router.post('/auth/signup', async (ctx) => {
    ctx.body = await accounts.signup(ctx.request.body, ctx.state.caller?.anonymousId);
    ctx.status = 201;
  });

  router.post('/auth/login', async (ctx) => {
    ctx.body = await accounts.login(ctx.request.body, ctx.state.caller?.anonymousId);
  });

  router.post('/auth/logout', requireUser, async (ctx) => {
    await accounts.logout(ctx.state.caller);
    ctx.status = 204;
  });

  router.get('/me', requireUser, (ctx) => {
    ctx.body = { user: publicUser(ctx.state.user) };
  });

  return router;
}
