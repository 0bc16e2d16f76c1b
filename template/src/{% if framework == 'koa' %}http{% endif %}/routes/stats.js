import Router from '@koa/router';
import { requireUser } from '../caller.js';

/** The signed-in user's numbers, at /api/stats (with their todos when detailed-analytics is on). */
export function statsRouter({ stats }) {
  const router = new Router({ prefix: '/api/stats' });
  router.get('/', requireUser, async (ctx) => {
    ctx.body = await stats(ctx.state.user);
  });
  return router;
}
