import { publicTodo } from '../data/store.js';

/** How many todos the detailed view shows. */
export const RECENT_TODOS = 10;

/**
 * A user's numbers, from the counters every write keeps (not by reading the
 * todos); the flag detailed-analytics adds their 10 most recent todos. Sends stats_viewed.
 */
export function createStats({ store, events }) {
  return async function statsOf(user) {
    const { total, completed } = await store.todoCounts(user.id);
    const { detailed, flags } = await events.detailedAnalytics(user);
    events.statsViewed(user, { detailed, flags });
    const stats = { total, completed, open: total - completed };
    if (!detailed) return stats;
    return { ...stats, todos: (await store.recentTodos(user.id, RECENT_TODOS)).map(publicTodo) };
  };
}
