import { HttpError } from './http-error.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL_LENGTH = 254;
const MIN_PASSWORD_LENGTH = 8;
const MAX_NAME_LENGTH = 200;
const MAX_TITLE_LENGTH = 500;

function invalid(message) {
  return new HttpError(400, message);
}

function requireObject(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('Request body must be a JSON object');
  }
  return body;
}

function email(value) {
  if (typeof value !== 'string' || value.length > MAX_EMAIL_LENGTH || !EMAIL.test(value.trim())) {
    throw invalid('email must be a valid email address');
  }
  return value.trim().toLowerCase();
}

function title(value) {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid('title must be a non-empty string');
  }
  if (value.length > MAX_TITLE_LENGTH) {
    throw invalid(`title must be at most ${MAX_TITLE_LENGTH} characters`);
  }
  return value.trim();
}

export function parseSignup(body) {
  const { email: rawEmail, password, name } = requireObject(body);
  const cleanEmail = email(rawEmail);
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw invalid(`password must be a string of at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (name !== undefined && name !== null && (typeof name !== 'string' || name.length > MAX_NAME_LENGTH)) {
    throw invalid(`name must be a string of at most ${MAX_NAME_LENGTH} characters`);
  }
  return { email: cleanEmail, password, name: name?.trim() || null };
}

export function parseLogin(body) {
  const { email: rawEmail, password } = requireObject(body);
  const cleanEmail = email(rawEmail);
  if (typeof password !== 'string' || password === '') {
    throw invalid('password is required');
  }
  return { email: cleanEmail, password };
}

export function parseNewTodo(body) {
  return { title: title(requireObject(body).title) };
}

export function parseTodoChanges(body) {
  const { title: rawTitle, completed } = requireObject(body);
  const changes = {};
  if (rawTitle !== undefined) changes.title = title(rawTitle);
  if (completed !== undefined) {
    if (typeof completed !== 'boolean') throw invalid('completed must be true or false');
    changes.completed = completed;
  }
  if (Object.keys(changes).length === 0) {
    throw invalid('Send title and/or completed to update a todo');
  }
  return changes;
}
