import { requireUser } from '../plugins/auth.js';

/** The signed-in user's numbers, at /api/stats (with their todos when detailed-analytics is on). */
const stats = async (fastify) => {
  const { stats } = fastify.services;
  fastify.addHook('onRequest', requireUser);

  fastify.get('/', async (request) => {
    return stats(request.user);
  });
};

export default stats;
