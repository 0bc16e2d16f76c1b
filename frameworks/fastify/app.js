{% if frontend -%}
import fastifyStatic from '@fastify/static';
{% endif -%}
import Fastify from 'fastify';
import { BODY_LIMIT_BYTES } from './api.js';
{%- if frontend %}
import { createFrontend } from './frontend.js';
{%- endif %}
import { HttpError } from './http-error.js';
import { bodySchemas, schemaErrorMessage } from './validation.js';

function send(reply, { status, body }) {
  return reply.code(status).send(body);
}

function routeOptions({ bodySchema }) {
  if (!bodySchema) return {};
  return {
    schema: { body: bodySchemas[bodySchema] },
    schemaErrorFormatter: (errors) => new HttpError(400, schemaErrorMessage(bodySchema, errors)),
  };
}

export async function createServer(api, { onClose }) {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    // Reject wrong types instead of coercing them ("true" is not a boolean),
    // so Fastify answers exactly like the other frameworks.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // Fastify answers a URL it cannot decode (/api/todos/%zz) or a parameter over
    // maxParamLength itself, with its own body; answer them like any other 4xx.
    frameworkErrors: (error, request, reply) => send(reply, api.errorResponse(error)),
  });

  app.decorateRequest('context', null);
  app.addHook('onRequest', (request, reply, done) => {
    request.context = api.resolveContext({ headers: request.headers, method: request.method, url: request.url });
    api.runInContext(request.context, done);
  });

  // A body that is not JSON is the same mistake as a missing one: a 400, not a 415.
  app.addContentTypeParser('*', (request, payload, done) => done(null, undefined));

  for (const route of api.routes) {
    app.route({
      method: route.method,
      url: route.path,
      ...routeOptions(route),
      handler: async (request, reply) =>
        send(reply, await route.handle({ body: request.body, params: request.params, context: request.context })),
    });
  }

{%- if frontend %}

  // The browser page. Files capture nothing, and whatever is not one goes to the
  // JSON 404 handler below.
  const frontend = createFrontend();
  for (const route of frontend.routes) app.get(route.path, (request, reply) => send(reply, route.handle()));
  for (const [index, { prefix, root }] of frontend.staticRoots.entries()) {
    // Not awaited: that would load the routes above before their error handler is
    // set below. Only the first registration may add reply.sendFile().
    app.register(fastifyStatic, { root, prefix, decorateReply: index === 0 });
  }
{%- endif %}

  app.setNotFoundHandler((request, reply) => send(reply, api.notFound()));

  // Fastify's hook for every thrown error; only the server's own faults become $exception.
  app.setErrorHandler((error, request, reply) => {
    if (api.isServerError(error)) api.reportError(error, request.context);
    return send(reply, api.errorResponse(error));
  });

  app.addHook('onClose', onClose);
  await app.ready();

  // server.js owns listening and the shutdown signal, so it gets the plain Node server;
  // app.close() still runs the onClose hook that flushes PostHog.
  const { server } = app;
  return {
    server,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await app.close();
    },
  };
}
