import type { FastifyPluginAsync } from 'fastify';
import { publicUser } from '../../data/store.ts';
import { requireUser } from '../plugins/auth.ts';

// The schemas give the fields' types only; what makes a valid email, password
// or name is the services' to say (src/domain/validation.ts), as in every framework.
const signupBody = {
  type: 'object',
  properties: { email: { type: 'string' }, password: { type: 'string' }, name: { type: ['string', 'null'] } },
};
const loginBody = {
  type: 'object',
  properties: { email: { type: 'string' }, password: { type: 'string' } },
};

/** Signup, login, logout and the signed-in user, under /api. */
const accounts: FastifyPluginAsync = async (fastify) => {
  const { accounts } = fastify.services;

  fastify.post('/auth/signup', { schema: { body: signupBody } }, async (request, reply) => {
    return reply.code(201).send(await accounts.signup(request.body, request.caller?.anonymousId));
  });

  fastify.post('/auth/login', { schema: { body: loginBody } }, async (request) => {
    return accounts.login(request.body, request.caller?.anonymousId);
  });

  fastify.post('/auth/logout', { onRequest: requireUser }, async (request, reply) => {
    await accounts.logout(request.caller!);
    return reply.code(204).send();
  });

  fastify.get('/me', { onRequest: requireUser }, async (request) => {
    return { user: publicUser(request.user!) };
  });
};

export default accounts;
