import { Router } from 'express';
import type { Services } from '../../domain/services.ts';
import { publicUser } from '../../data/store.ts';
import { requireUser } from '../caller.ts';

/** Signup, login, logout and the signed-in user, under /api. */
export function accountsRouter({ accounts }: Services): Router {
  const router = Router();

  router.post('/auth/signup', async (req, res) => {
    res.status(201).json(await accounts.signup(req.body, req.caller?.anonymousId));
  });

  router.post('/auth/login', async (req, res) => {
    res.json(await accounts.login(req.body, req.caller?.anonymousId));
  });

  router.post('/auth/logout', requireUser, async (req, res) => {
    await accounts.logout(req.caller!);
    res.status(204).end();
  });

  router.get('/me', requireUser, (req, res) => {
    res.json({ user: publicUser(req.user!) });
  });

  return router;
}
