import type { FastifyPluginAsync } from 'fastify';
import { requireUser } from '../plugins/auth.ts';

// The schemas give the fields' types only; what makes a valid title, limit
// or cursor is the services' to say (src/domain/validation.ts), as in every
// framework. A value of the wrong type (a name given twice is a list) is a 400.
const listQuery = {
  type: 'object',
  properties: { limit: { type: 'string' }, cursor: { type: 'string' } },
};
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

  fastify.get('/', { schema: { querystring: listQuery } }, async (request) => {
    return todos.list(request.user!, request.query);
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
