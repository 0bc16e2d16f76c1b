import { createServer as createHttpServer } from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { BODY_LIMIT_BYTES } from './api.js';

function send(ctx, { status, body }) {
  ctx.status = status;
  if (body !== undefined) ctx.body = body;
}

export function createServer(api, { onClose }) {
  const app = new Koa();

  // Outermost, so that everything below, error reporting included, runs inside the context.
  app.use((ctx, next) => {
    ctx.state.context = api.resolveContext({ headers: ctx.headers, method: ctx.method, url: ctx.originalUrl });
    return api.runInContext(ctx.state.context, next);
  });

  // A caught error never reaches app.on('error') unless it is emitted again.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      send(ctx, api.errorResponse(error));
      if (api.isServerError(error)) ctx.app.emit('error', error, ctx);
    }
  });

  app.on('error', (error, ctx) => api.reportError(error, ctx?.state.context));

  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: BODY_LIMIT_BYTES }));

  const router = new Router();
  for (const route of api.routes) {
    router[route.method.toLowerCase()](route.path, async (ctx) => {
      send(ctx, await route.handle({ body: ctx.request.body, params: ctx.params, context: ctx.state.context }));
    });
  }
  app.use(router.routes());
  app.use((ctx) => send(ctx, api.notFound()));

  const server = createHttpServer(app.callback());
  return {
    server,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await onClose();
    },
  };
}
