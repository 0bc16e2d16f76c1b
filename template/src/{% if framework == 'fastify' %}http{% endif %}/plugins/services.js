import fp from 'fastify-plugin';
import { createServices } from '../../domain/services.js';

/** The services, for every route as fastify.services. */
export default fp(
  async (fastify, { store, posthog }) => {
    fastify.decorate('services', createServices({ store, posthog }));
  },
  { name: 'services' },
);
