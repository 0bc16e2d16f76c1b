import { randomUUID } from 'node:crypto';
import { tokenDigest } from './auth.js';

/**
 * In-memory data, behind the few methods the routes need: swap this module
 * for one backed by a database and nothing else changes.
 */
export function createStore() {
  const users = new Map();
  const userIdsByEmail = new Map();
  const userIdsByTokenDigest = new Map();
  // Each user's todos by id, so that one user's list never walks everybody's.
  const todosByUser = new Map();

  return {
    findUserByEmail(email) {
      return users.get(userIdsByEmail.get(email));
    },

    createUser({ email, name, passwordHash }) {
      const user = { id: randomUUID(), email, name, passwordHash };
      users.set(user.id, user);
      userIdsByEmail.set(email, user.id);
      return user;
    },

    saveSession(userId, token) {
      userIdsByTokenDigest.set(tokenDigest(token), userId);
    },

    findUserByToken(token) {
      if (!token) return undefined;
      return users.get(userIdsByTokenDigest.get(tokenDigest(token)));
    },

    listTodos(userId) {
      return [...(todosByUser.get(userId)?.values() ?? [])];
    },

    countTodos(userId) {
      return todosByUser.get(userId)?.size ?? 0;
    },

    findTodo(userId, id) {
      return todosByUser.get(userId)?.get(id);
    },

    addTodo(userId, title) {
      const todo = {
        id: randomUUID(),
        userId,
        title,
        completed: false,
        createdAt: new Date().toISOString(),
        completedAt: null,
      };
      if (!todosByUser.has(userId)) todosByUser.set(userId, new Map());
      todosByUser.get(userId).set(todo.id, todo);
      return todo;
    },

    updateTodo(todo, changes) {
      return Object.assign(todo, changes);
    },

    deleteTodo(todo) {
      todosByUser.get(todo.userId)?.delete(todo.id);
    },
  };
}

export function publicUser({ id, email, name }) {
  return { id, email, name };
}

export function publicTodo({ id, title, completed, createdAt, completedAt }) {
  return { id, title, completed, createdAt, completedAt };
}
