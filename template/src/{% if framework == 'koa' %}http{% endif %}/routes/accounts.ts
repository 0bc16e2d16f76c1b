import Router from '@koa/router';
import { publicUser } from '../../data/store.ts';
import type { Services } from '../../domain/services.ts';
import { requireUser, type State } from '../caller.ts';

/** Signup, login, logout and the signed-in user, under /api. */
export function accountsRouter({ accounts }: Services): Router<State> {
  const router = new Router<State>({ prefix: '/api' });

  router.post('/auth/signup', async (ctx) => {
    ctx.body = await accounts.signup(ctx.request.body, ctx.state.caller?.anonymousId);
    ctx.status = 201;
  });

  router.post('/auth/login', async (ctx) => {
    ctx.body = await accounts.login(ctx.request.body, ctx.state.caller?.anonymousId);
  });

  router.post('/auth/logout', requireUser, async (ctx) => {
    await accounts.logout(ctx.state.caller!);
    ctx.status = 204;
  });

  router.get('/me', requireUser, (ctx) => {
    ctx.body = { user: publicUser(ctx.state.user!) };
  });

  return router;
}
