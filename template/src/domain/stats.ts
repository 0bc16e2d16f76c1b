import { publicTodo, type PublicTodo, type Store, type User } from '../data/store.ts';
import type { Events } from './events.ts';

export interface Stats {
  total: number;
  completed: number;
  open: number;
  /** Only when the detailed-analytics flag is on for the user: the most recently created, newest first. */
  todos?: PublicTodo[];
}

/** How many todos the detailed view shows. */
export const RECENT_TODOS = 10;

/**
 * A user's numbers, from the counters every write keeps (not by reading the
 * todos); the flag detailed-analytics adds their 10 most recent todos. Sends stats_viewed.
 */
export function createStats({ store, events }: { store: Store; events: Events }) {
  return async function statsOf(user: User): Promise<Stats> {
    const { total, completed } = await store.todoCounts(user.id);
    const { detailed, flags } = await events.detailedAnalytics(user);
    events.statsViewed(user, { detailed, flags });
    const stats: Stats = { total, completed, open: total - completed };
    if (!detailed) return stats;
    return { ...stats, todos: (await store.recentTodos(user.id, RECENT_TODOS)).map(publicTodo) };
  };
}
