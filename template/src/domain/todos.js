import { publicTodo } from '../data/store.js';
import { HttpError } from './errors.js';
import { parseNewTodo, parseTodoChanges, parseTodoListQuery, todoCursor } from './validation.js';

const notFound = () => new HttpError(404, 'Todo not found');

export function createTodos({ store, events }) {
  return {
    async list(user, query) {
      const { todos, next } = await store.listTodos(user.id, parseTodoListQuery(query));
      return { todos: todos.map(publicTodo), nextCursor: next === null ? null : todoCursor(next) };
    },

    async add(user, body) {
      const { title } = parseNewTodo(body);
      // The total comes from the user's counter, updated with the insert.
      const { todo, counts } = await store.addTodo(user.id, title);
      events.todoAdded(user, todo, counts.total);
      return publicTodo(todo);
    },

    async update(user, id, body) {
      const todo = await store.findTodo(user.id, id);
      if (!todo) throw notFound();
      const changes = parseTodoChanges(body);
      const changed = Object.keys(changes).filter((field) => changes[field] !== todo[field]);
      const completing = changes.completed === true && !todo.completed;
      if (changed.includes('completed')) {
        changes.completedAt = changes.completed ? new Date().toISOString() : null;
      }
      const updated = await store.updateTodo(user.id, todo.id, changes);
      // Deleted by another request in the meantime.
      if (!updated) throw notFound();

      // Completing is its own event; anything else that changed is an edit.
      if (completing) events.todoCompleted(user, updated);
      if (changed.some((field) => field !== 'completed' || !completing)) {
        events.todoUpdated(user, updated, changed);
      }
      return publicTodo(updated);
    },

    async remove(user, id) {
      const todo = await store.deleteTodo(user.id, id);
      if (!todo) throw notFound();
      events.todoDeleted(user, todo);
    },
  };
}
