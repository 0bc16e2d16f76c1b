import { Router } from 'express';
import { requireUser } from '../caller.js';

/** The signed-in user's todos, under /api/todos. */
export function todosRouter({ todos }) {
  const router = Router();

  // ?limit=&cursor= go to the services as Express parsed them.
  router.get('/', requireUser, async (req, res) => {
    res.json(await todos.list(req.user, req.query));
  });

  router.post('/', requireUser, async (req, res) => {
    res.status(201).json({ todo: await todos.add(req.user, req.body) });
  });

  router.patch('/:id', requireUser, async (req, res) => {
    res.json({ todo: await todos.update(req.user, req.params.id, req.body) });
  });

  router.delete('/:id', requireUser, async (req, res) => {
    await todos.remove(req.user, req.params.id);
    res.status(204).end();
  });

  return router;
}
