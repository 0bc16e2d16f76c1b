import { publicTodo, type PublicTodo, type Store, type TodoChanges, type User } from '../data/store.ts';
import { HttpError } from './errors.ts';
import type { Events } from './events.ts';
import { parseNewTodo, parseTodoChanges, parseTodoListQuery, todoCursor } from './validation.ts';

/** GET /api/todos: one page, oldest first, and where the next one starts. */
export interface TodoList {
  todos: PublicTodo[];
  /** null on the last page */
  nextCursor: string | null;
}

/** A user's todos: each write checks its input, stores it and sends its event. */
export interface Todos {
  /** One page, oldest first; `query` is the request's parsed query string (limit, cursor). */
  list(user: User, query: unknown): Promise<TodoList>;
  add(user: User, body: unknown): Promise<PublicTodo>;
  update(user: User, id: string, body: unknown): Promise<PublicTodo>;
  remove(user: User, id: string): Promise<void>;
}

const notFound = () => new HttpError(404, 'Todo not found');

export function createTodos({ store, events }: { store: Store; events: Events }): Todos {
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
      const changes: TodoChanges = parseTodoChanges(body);
      const changed = (Object.keys(changes) as (keyof TodoChanges)[]).filter((field) => changes[field] !== todo[field]);
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
