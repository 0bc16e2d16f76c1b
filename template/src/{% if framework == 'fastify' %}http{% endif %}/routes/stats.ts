import type { FastifyPluginAsync } from 'fastify';
import { requireUser } from '../plugins/auth.ts';

/** The signed-in user's numbers, at /api/stats (with their todos when detailed-analytics is on). */
const stats: FastifyPluginAsync = async (fastify) => {
  const { stats } = fastify.services;
  fastify.addHook('onRequest', requireUser);

  fastify.get('/', async (request) => {
    return stats(request.user!);
  });
};

export default stats;
