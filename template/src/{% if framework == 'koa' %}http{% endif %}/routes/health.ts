import Router from '@koa/router';
import type { Services } from '../../domain/services.ts';
import type { State } from '../caller.ts';

/** GET /health: healthy means the database answers, so a load balancer skips an instance that could only answer 503. */
export function healthRouter({ isHealthy }: Services): Router<State> {
  const router = new Router<State>();
  router.get('/health', async (ctx) => {
    const healthy = await isHealthy();
    ctx.status = healthy ? 200 : 503;
    ctx.body = { status: healthy ? 'ok' : 'unavailable' };
  });
  return router;
}
