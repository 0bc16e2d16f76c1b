{% if frontend -%}
import fastifyStatic from '@fastify/static';
{% endif -%}
import Fastify from 'fastify';
import { BODY_LIMIT_BYTES, parseContentType, readJsonBody } from './body.js';
{%- if frontend %}
import { createFrontend } from './frontend.js';
{%- endif %}
import { answerClientError, HttpError } from './http-error.js';
import { assertDecodablePath, MALFORMED_PATH_MESSAGE } from './request-context.js';

function send(reply, { status, body }) {
  return reply.code(status).send(body);
}

export async function createServer(api, { onClose }) {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    // Reject wrong types instead of coercing them ("true" is not a boolean),
    // so Fastify answers exactly like the other frameworks.
    // The same routing as Express and Koa: /health/ is /health, and a todo id is
    // never too long to be looked up (and answered 404) rather than refused 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 16 * 1024 },
    // Fastify answers a URL it cannot decode (/api/todos/%zz) itself, with its own
    // body; answer it as the shared check does in the other frameworks.
    frameworkErrors: (error, request, reply) =>
      send(reply, api.errorResponse(error.code === 'FST_ERR_BAD_URL' ? new HttpError(400, MALFORMED_PATH_MESSAGE) : error)),
    // Requests Node cannot parse get the same JSON error as in the other frameworks.
    clientErrorHandler: answerClientError,
  });

  app.decorateRequest('context', null);
  app.addHook('onRequest', (request, reply, done) => {
    request.context = api.resolveContext({ headers: request.headers, method: request.method, url: request.url });
    try {
      assertDecodablePath(request.url);
    } catch (error) {
      return done(error);
    }
    api.runInContext(request.context, done);
  });

  // Bodies are read by the shared reader (body.js), not by Fastify's parsers, so
  // every framework answers the same odd body (encoding, charset, empty, not
  // JSON) the same way; the routes validate what it returns. Fastify hands over
  // the raw stream untouched.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => done(null, undefined));
  // A Content-Type that is no media type at all (";;;") is no JSON either, but
  // Fastify would refuse it 415 before routing, even on a 404. Without it the
  // request is routed and answered as in the other frameworks.
  app.addHook('preParsing', async (request) => {
    if (request.headers['content-type'] !== undefined && !parseContentType(request.headers['content-type'])) {
      delete request.headers['content-type'];
    }
  });

  for (const route of api.routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const body = route.takesBody ? await readJsonBody(request.raw) : undefined;
        return send(reply, await route.handle({ body, params: request.params, context: request.context }));
      },
    });
  }

{%- if frontend %}

  // The browser page. Files capture nothing, and whatever is not one goes to the
  // JSON 404 handler below.
  const frontend = createFrontend();
  for (const route of frontend.routes) app.get(route.path, (request, reply) => send(reply, route.handle()));
  // Not awaited: that would load the routes above before their error handler is
  // set below. Encapsulated, so that its error handler only sees file requests:
  // @fastify/static answers a path it will not serve (../, a name too long for
  // the file system) 403, but that is no file either, so the JSON 404.
  app.register(async (files) => {
    files.setErrorHandler((error, request, reply) => {
      if (api.isServerError(error)) throw error;
      return send(reply, api.notFound());
    });
    for (const [index, { prefix, root }] of frontend.staticRoots.entries()) {
      // Only the first registration may add reply.sendFile().
      files.register(fastifyStatic, { root, prefix, decorateReply: index === 0 });
    }
  });
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
