import { createServer as createHttpServer } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
{%- if frontend %}
import mount from 'koa-mount';
import serve from 'koa-static';
{%- endif %}
import { readJsonBody } from './body.js';
import { answerClientError, clientErrorOf } from './http-error.js';
{%- if frontend %}
import { createFrontend } from './frontend.js';
{%- endif %}
import { assertDecodablePath } from './request-context.js';

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

  app.use((ctx, next) => {
    assertDecodablePath(ctx.originalUrl);
    return next();
  });

  const router = new Router();
  for (const route of api.routes) {
    router[route.method.toLowerCase()](route.path, async (ctx) => {
      // The shared reader, not a body-parser middleware: same answers to odd bodies as the other frameworks.
      const body = route.takesBody ? await readJsonBody(ctx.req) : undefined;
      send(ctx, await route.handle({ body, params: ctx.params, context: ctx.state.context }));
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
  // koa-static throws 400/403 for paths it will not serve (%zz, ../): those are
  // no file either, so they get the same JSON 404 as in the other frameworks.
  for (const { prefix, root } of frontend.staticRoots) {
    const files = serve(root);
    app.use(
      mount(prefix, async (ctx, next) => {
        try {
          await files(ctx, next);
        } catch (error) {
          if (!clientErrorOf(error)) throw error;
          await next();
        }
      }),
    );
  }
{%- endif %}
  app.use((ctx) => send(ctx, api.notFound()));

  const server = createHttpServer(app.callback());
  server.on('clientError', answerClientError);
  return {
    server,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await onClose();
    },
  };
}
