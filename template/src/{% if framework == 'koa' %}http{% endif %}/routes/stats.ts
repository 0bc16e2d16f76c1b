import Router from '@koa/router';
import type { Services } from '../../domain/services.ts';
import { requireUser, type State } from '../caller.ts';

/** The signed-in user's numbers, at /api/stats (with their todos when detailed-analytics is on). */
export function statsRouter({ stats }: Services): Router<State> {
  const router = new Router<State>({ prefix: '/api/stats' });
  router.get('/', requireUser, async (ctx) => {
    ctx.body = await stats(ctx.state.user!);
  });
  return router;
}
