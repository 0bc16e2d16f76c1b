import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { NOT_FOUND } from '../../domain/errors.ts';
import type { Page } from '../../domain/page.ts';

export interface PageOptions {
  page: Page;
}

/**
 * The browser page: public/ at /, posthog-js from node_modules, and the
 * settings posthog-js starts with. Whatever is not a file gets the app's JSON 404.
 */
const pageRoutes: FastifyPluginAsync<PageOptions> = async (fastify, { page }) => {
  // Only this plugin's routes: @fastify/static refuses a path it will not
  // serve (../, a NUL byte) with a 403 or 400, but that is no file either.
  // Anything else goes on to the app's error handler.
  fastify.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    if (error.statusCode !== 400 && error.statusCode !== 403) throw error;
    return reply.code(NOT_FOUND.status).send(NOT_FOUND.body);
  });

  fastify.get('/posthog-config.json', async () => page.browserConfig);
  // Every file carries the page's security headers (its CSP among them).
  const setHeaders = (reply: FastifyReply) => reply.headers(page.headers);
  fastify.register(fastifyStatic, { root: page.publicDir, setHeaders });
  // reply.sendFile() comes with the first registration only.
  fastify.register(fastifyStatic, {
    root: page.posthogJsDir,
    prefix: '/vendor/posthog-js/',
    decorateReply: false,
    setHeaders,
  });
};

export default pageRoutes;
