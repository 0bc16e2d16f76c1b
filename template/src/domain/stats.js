import { publicTodo } from '../data/store.js';

/** A user's numbers; the flag detailed-analytics adds their todos. Sends stats_viewed. */
export function createStats({ store, events }) {
  return async function statsOf(user) {
    const todos = await store.listTodos(user.id);
    const completed = todos.filter((todo) => todo.completed).length;
    const { detailed, flags } = await events.detailedAnalytics(user);
    events.statsViewed(user, { detailed, flags });
    const stats = { total: todos.length, completed, open: todos.length - completed };
    return detailed ? { ...stats, todos: todos.map(publicTodo) } : stats;
  };
}
