/** GET /health: healthy means the database answers, so a load balancer skips an instance that could only answer 503. */
const health = async (fastify) => {
  fastify.get('/health', async (request, reply) => {
    const healthy = await fastify.services.isHealthy();
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable' });
  });
};

export default health;
