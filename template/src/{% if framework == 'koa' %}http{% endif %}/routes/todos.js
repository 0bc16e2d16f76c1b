import Router from '@koa/router';
import { requireUser } from '../caller.js';

/** The signed-in user's todos, under /api/todos. */
export function todosRouter({ todos }) {
  const router = new Router({ prefix: '/api/todos' });

  // ?limit=&cursor= go to the services as Koa parsed them.
  router.get('/', requireUser, async (ctx) => {
    ctx.body = await todos.list(ctx.state.user, ctx.query);
  });

  router.post('/', requireUser, async (ctx) => {
    ctx.body = { todo: await todos.add(ctx.state.user, ctx.request.body) };
    ctx.status = 201;
  });

  router.patch('/:id', requireUser, async (ctx) => {
    ctx.body = { todo: await todos.update(ctx.state.user, ctx.params.id, ctx.request.body) };
  });

  router.delete('/:id', requireUser, async (ctx) => {
    await todos.remove(ctx.state.user, ctx.params.id);
    ctx.status = 204;
  });

  return router;
}
