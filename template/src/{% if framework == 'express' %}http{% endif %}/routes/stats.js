import { Router } from 'express';
import { requireUser } from '../caller.js';

/** The signed-in user's numbers, at /api/stats (with their todos when detailed-analytics is on). */
export function statsRouter({ stats }) {
  const router = Router();
  router.get('/', requireUser, async (req, res) => {
    res.json(await stats(req.user));
  });
  return router;
}
