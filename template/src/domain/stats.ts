import { publicTodo, type PublicTodo, type Store, type User } from '../data/store.ts';
import type { Events } from './events.ts';

export interface Stats {
  total: number;
  completed: number;
  open: number;
  /** Only when the detailed-analytics flag is on for the user. */
  todos?: PublicTodo[];
}

/** A user's numbers; the flag detailed-analytics adds their todos. Sends stats_viewed. */
export function createStats({ store, events }: { store: Store; events: Events }) {
  return async function statsOf(user: User): Promise<Stats> {
    const todos = await store.listTodos(user.id);
    const completed = todos.filter((todo) => todo.completed).length;
    const { detailed, flags } = await events.detailedAnalytics(user);
    events.statsViewed(user, { detailed, flags });
    const stats: Stats = { total: todos.length, completed, open: todos.length - completed };
    return detailed ? { ...stats, todos: todos.map(publicTodo) } : stats;
  };
}
