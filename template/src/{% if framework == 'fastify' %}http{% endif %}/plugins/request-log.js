import { LogController } from 'fastify';
import fp from 'fastify-plugin';

// The error each request ended in, from the onError hook below to its line.
const errors = new WeakMap();

/**
 * Fastify's request lines (buildApp's `logController`): one per request, when
 * it ends, with its method, path, status and milliseconds, the line pino-http
 * writes for Express and Koa. Fastify's own writes one more when a request
 * arrives, and none with the error of a 5xx.
 */
export class RequestLog extends LogController {
  incomingRequest() {}

  requestCompleted(error, request, reply) {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (reply.statusCode >= 500 || error) {
      request.log.error({ ...line, err: error ?? errors.get(request) }, 'request errored');
    } else {
      request.log.info(line, 'request completed');
    }
  }
}

/** Keeps the error a request ends in for its line: the onError hook sees it before the error handler answers. */
export default fp(
  async (fastify) => {
    fastify.addHook('onError', async (request, reply, error) => {
      errors.set(request, error);
    });
  },
  { name: 'request-log' },
);
