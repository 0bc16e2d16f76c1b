import fp from 'fastify-plugin';
import type { PostHog } from 'posthog-node';
import type { Store } from '../../data/store.ts';
import { createServices, type Services } from '../../domain/services.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the routes call (src/domain/services.ts): each does the work and sends its event. */
    services: Services;
  }
}

export interface ServicesPluginOptions {
  store: Store;
  posthog: PostHog;
}

/** The services, for every route as fastify.services. */
export default fp<ServicesPluginOptions>(
  async (fastify, { store, posthog }) => {
    fastify.decorate('services', createServices({ store, posthog }));
  },
  { name: 'services' },
);
