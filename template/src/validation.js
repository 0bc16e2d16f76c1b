import { HttpError } from './http-error.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL_LENGTH = 254;
const MIN_PASSWORD_LENGTH = 8;
const MAX_NAME_LENGTH = 200;
const MAX_TITLE_LENGTH = 500;

// One message per field, shared by these checks and by the JSON schemas below,
// so every framework answers the same mistake with the same words.
export const MESSAGES = {
  body: 'Request body must be a JSON object',
  email: 'email must be a valid email address',
  password: `password must be a string of at least ${MIN_PASSWORD_LENGTH} characters`,
  loginPassword: 'password is required',
  name: `name must be a string of at most ${MAX_NAME_LENGTH} characters`,
  title: `title must be a non-empty string of at most ${MAX_TITLE_LENGTH} characters`,
  completed: 'completed must be true or false',
  changes: 'Send title and/or completed to update a todo',
};

function invalid(message) {
  return new HttpError(400, message);
}

function requireObject(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid(MESSAGES.body);
  }
  return body;
}

function email(value) {
  if (typeof value !== 'string' || value.length > MAX_EMAIL_LENGTH || !EMAIL.test(value.trim())) {
    throw invalid(MESSAGES.email);
  }
  return value.trim().toLowerCase();
}

function title(value) {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TITLE_LENGTH) {
    throw invalid(MESSAGES.title);
  }
  return value.trim();
}

export function parseSignup(body) {
  const { email: rawEmail, password, name } = requireObject(body);
  const cleanEmail = email(rawEmail);
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw invalid(MESSAGES.password);
  }
  if (name !== undefined && name !== null && (typeof name !== 'string' || name.length > MAX_NAME_LENGTH)) {
    throw invalid(MESSAGES.name);
  }
  return { email: cleanEmail, password, name: name?.trim() || null };
}

export function parseLogin(body) {
  const { email: rawEmail, password } = requireObject(body);
  const cleanEmail = email(rawEmail);
  if (typeof password !== 'string' || password === '') {
    throw invalid(MESSAGES.loginPassword);
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
    if (typeof completed !== 'boolean') throw invalid(MESSAGES.completed);
    changes.completed = completed;
  }
  if (Object.keys(changes).length === 0) {
    throw invalid(MESSAGES.changes);
  }
  return changes;
}

/**
 * The same rules as JSON Schema, for frameworks that validate bodies before
 * the handler runs (Fastify). The checks above still run after them.
 */
const titleSchema = { type: 'string', minLength: 1, maxLength: MAX_TITLE_LENGTH };
const emailSchema = { type: 'string', maxLength: MAX_EMAIL_LENGTH };

export const bodySchemas = {
  signup: {
    type: 'object',
    required: ['email', 'password'],
    properties: {
      email: emailSchema,
      password: { type: 'string', minLength: MIN_PASSWORD_LENGTH },
      name: { type: ['string', 'null'], maxLength: MAX_NAME_LENGTH },
    },
  },
  login: {
    type: 'object',
    required: ['email', 'password'],
    properties: { email: emailSchema, password: { type: 'string', minLength: 1 } },
  },
  newTodo: {
    type: 'object',
    required: ['title'],
    properties: { title: titleSchema },
  },
  todoChanges: {
    type: 'object',
    minProperties: 1,
    properties: { title: titleSchema, completed: { type: 'boolean' } },
  },
};

const SCHEMA_FIELD_MESSAGES = { login: { password: MESSAGES.loginPassword } };

/** The message for the first failure a JSON Schema validator (Ajv) reports. */
export function schemaErrorMessage(schemaName, [error] = []) {
  const field = error?.params?.missingProperty ?? error?.instancePath?.split('/')[1];
  if (!field) return schemaName === 'todoChanges' && error?.keyword === 'minProperties' ? MESSAGES.changes : MESSAGES.body;
  return SCHEMA_FIELD_MESSAGES[schemaName]?.[field] ?? MESSAGES[field] ?? MESSAGES.body;
}
