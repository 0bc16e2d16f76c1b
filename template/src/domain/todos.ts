import { publicTodo, type PublicTodo, type Store, type TodoChanges, type User } from '../data/store.ts';
import { HttpError } from './errors.ts';
import type { Events } from './events.ts';
import { parseNewTodo, parseTodoChanges } from './validation.ts';

/** A user's todos: each write checks its input, stores it and sends its event. */
export interface Todos {
  /** Oldest first. */
  list(user: User): Promise<PublicTodo[]>;
  add(user: User, body: unknown): Promise<PublicTodo>;
  update(user: User, id: string, body: unknown): Promise<PublicTodo>;
  remove(user: User, id: string): Promise<void>;
}

const notFound = () => new HttpError(404, 'Todo not found');

export function createTodos({ store, events }: { store: Store; events: Events }): Todos {
  return {
    async list(user) {
      return (await store.listTodos(user.id)).map(publicTodo);
    },

    async add(user, body) {
      const { title } = parseNewTodo(body);
      const todo = await store.addTodo(user.id, title);
      events.todoAdded(user, todo, await store.countTodos(user.id));
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
