import type { FastifyPluginAsync } from 'fastify';
import { requireUser } from '../plugins/auth.ts';

// The schemas give the fields' types only; what makes a valid title is the
// services' to say (src/domain/validation.ts), as in every framework.
const todoBody = {
  type: 'object',
  properties: { title: { type: 'string' }, completed: { type: 'boolean' } },
};
const todoParams = {
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
};

interface TodoRoute {
  Params: { id: string };
}

/** The signed-in user's todos, under /api/todos. */
const todos: FastifyPluginAsync = async (fastify) => {
  const { todos } = fastify.services;
  // Every route in this plugin is for signed-in users.
  fastify.addHook('onRequest', requireUser);

  fastify.get('/', async (request) => {
    return { todos: await todos.list(request.user!) };
  });

  fastify.post('/', { schema: { body: todoBody } }, async (request, reply) => {
    return reply.code(201).send({ todo: await todos.add(request.user!, request.body) });
  });

  fastify.patch<TodoRoute>('/:id', { schema: { params: todoParams, body: todoBody } }, async (request) => {
    return { todo: await todos.update(request.user!, request.params.id, request.body) };
  });

  fastify.delete<TodoRoute>('/:id', { schema: { params: todoParams } }, async (request, reply) => {
    await todos.remove(request.user!, request.params.id);
    return reply.code(204).send();
  });
};

export default todos;
