import { Router } from 'express';
import type { Services } from '../../domain/services.ts';
import { requireUser } from '../caller.ts';

/** The signed-in user's numbers, at /api/stats (with their todos when detailed-analytics is on). */
export function statsRouter({ stats }: Services): Router {
  const router = Router();
  router.get('/', requireUser, async (req, res) => {
    res.json(await stats(req.user!));
  });
  return router;
}
