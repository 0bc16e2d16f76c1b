import { createServer as createHttpServer } from 'node:http';
import express from 'express';
import { readJsonBody } from './body.js';
{%- if frontend %}
import { createFrontend } from './frontend.js';
{%- endif %}
import { answerClientError } from './http-error.js';
import { assertDecodablePath } from './request-context.js';

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
  app.use((req, res, next) => {
    assertDecodablePath(req.originalUrl);
    next();
  });

  // Bodies are read by the shared reader, not express.json(), so that every
  // framework answers the same odd body (encoding, charset, empty) the same way.
  for (const route of api.routes) {
    app[route.method.toLowerCase()](route.path, async (req, res) => {
      const body = route.takesBody ? await readJsonBody(req) : undefined;
      send(res, await route.handle({ body, params: req.params, context: req.context }));
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
  server.on('clientError', answerClientError);
  return {
    server,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await onClose();
    },
  };
}
