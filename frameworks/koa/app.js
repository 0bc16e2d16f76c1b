import { createServer as createHttpServer } from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
{%- if frontend %}
import mount from 'koa-mount';
import serve from 'koa-static';
{%- endif %}
import { BODY_LIMIT_BYTES } from './api.js';
import { HttpError } from './http-error.js';
{%- if frontend %}
import { createFrontend } from './frontend.js';
{%- endif %}

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

  // Koa also emits errors from sending a response, such as a client hanging up in
  // the middle of a file (error.headerSent): not a server fault, as in Express.
  app.on('error', (error, ctx) => {
    if (!error.headerSent) api.reportError(error, ctx?.state.context);
  });

  // A body that cannot be read (a broken gzip stream, say) is the client's
  // mistake; @koa/bodyparser passes such errors on without a status. It also
  // turns "no JSON body" into {}: undo that, so a missing body is reported as
  // missing, as the other frameworks do.
  const parseBody = bodyParser({ enableTypes: ['json'], jsonLimit: BODY_LIMIT_BYTES });
  app.use(async (ctx, next) => {
    try {
      await parseBody(ctx, async () => {});
    } catch (error) {
      throw error.status ? error : new HttpError(400, 'Request body could not be read');
    }
    if (ctx.request.rawBody === undefined) ctx.request.body = undefined;
    await next();
  });

  const router = new Router();
  for (const route of api.routes) {
    router[route.method.toLowerCase()](route.path, async (ctx) => {
      send(ctx, await route.handle({ body: ctx.request.body, params: ctx.params, context: ctx.state.context }));
    });
  }
{%- if frontend %}
  const frontend = createFrontend();
  for (const route of frontend.routes) router.get(route.path, (ctx) => send(ctx, route.handle()));
{%- endif %}
  app.use(router.routes());
{%- if frontend %}

  // The browser page: after the API, so API requests never touch the disk.
  // Files capture nothing, and whatever is not one falls through to the JSON 404.
  for (const { prefix, root } of frontend.staticRoots) app.use(mount(prefix, serve(root)));
{%- endif %}
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
