import type { onRequestAsyncHookHandler } from 'fastify';
import { HttpError } from '../../domain/errors.ts';

/**
 * For routes for signed-in users only: anyone else gets a 401, before the
 * body is read. The posthog plugin's hook, which runs first, has set
 * request.user from the bearer token.
 */
export const requireUser: onRequestAsyncHookHandler = async (request) => {
  if (!request.user) throw new HttpError(401, 'Missing or invalid bearer token');
};
