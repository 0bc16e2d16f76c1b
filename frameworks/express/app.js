import { createServer as createHttpServer } from 'node:http';
import express from 'express';
import { BODY_LIMIT_BYTES } from './api.js';
{%- if frontend %}
import { createFrontend } from './frontend.js';
{%- endif %}

function send(res, { status, body }) {
  if (body === undefined) res.status(status).end();
  else res.status(status).json(body);
}

export function createServer(api, { onClose }) {
  const app = express();
  app.disable('x-powered-by');

  // First, so that body-parser errors and every later event run inside the context.
  app.use((req, res, next) => {
    req.context = api.resolveContext({ headers: req.headers, method: req.method, url: req.originalUrl });
    api.runInContext(req.context, next);
  });
  app.use(express.json({ limit: BODY_LIMIT_BYTES }));

  for (const route of api.routes) {
    app[route.method.toLowerCase()](route.path, async (req, res) => {
      send(res, await route.handle({ body: req.body, params: req.params, context: req.context }));
    });
  }

{%- if frontend %}

  // The browser page: after the API, so API requests never touch the disk.
  // Files capture nothing, and whatever is not one falls through to the JSON 404.
  const frontend = createFrontend();
  for (const route of frontend.routes) app.get(route.path, (req, res) => send(res, route.handle()));
  // No redirect from a directory to its slash: it is no page, so it is a 404 too.
  for (const { prefix, root } of frontend.staticRoots) app.use(prefix, express.static(root, { redirect: false }));
{%- endif %}

  app.use((req, res) => send(res, api.notFound()));

  // Express recognises error middleware by its four parameters.
  app.use((error, req, res, next) => {
    if (res.headersSent) return next(error);
    if (api.isServerError(error)) api.reportError(error, req.context);
    send(res, api.errorResponse(error));
  });

  const server = createHttpServer(app);
  return {
    server,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await onClose();
    },
  };
}
