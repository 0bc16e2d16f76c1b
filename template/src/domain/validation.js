import { HttpError } from './errors.js';

// After normalisation: no whitespace, no control or invisible format characters
// (zero-width spaces, bidi overrides), one @ and a dot in the domain.
const EMAIL = /^[^\s@\p{C}]+@[^\s@\p{C}]+\.[^\s@\p{C}]+$/u;
const MAX_EMAIL_LENGTH = 254;
const MIN_PASSWORD_LENGTH = 8;
const MAX_NAME_LENGTH = 200;
const MAX_TITLE_LENGTH = 500;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

// One message per field. Every framework's routes hand their parsed body to the
// services, which run these checks, so each mistake gets the same words everywhere.
export const MESSAGES = {
  body: 'Request body must be a JSON object',
  email: 'email must be a valid email address',
  password: `password must be a string of at least ${MIN_PASSWORD_LENGTH} characters`,
  loginPassword: 'password is required',
  text: (field) => `${field} must be valid Unicode text (it contains an unpaired surrogate)`,
  name: `name must be a string of at most ${MAX_NAME_LENGTH} characters`,
  title: `title must be a non-empty string of at most ${MAX_TITLE_LENGTH} characters`,
  completed: 'completed must be true or false',
  changes: 'Send title and/or completed to update a todo',
  limit: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
  cursor: 'cursor must be a nextCursor from an earlier answer, unchanged',
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

/**
 * Text that is not well-formed UTF-16 (a lone surrogate, which JSON's \uD800
 * can carry) has no UTF-8 form: hashing or storing it would turn it into U+FFFD,
 * so two different strings would become one. Refuse it, saying why.
 */
function wellFormed(value, field) {
  if (!value.isWellFormed()) throw invalid(MESSAGES.text(field));
  return value;
}

/** Length in characters (code points), as people and JSON Schema count them. */
export const characters = (value) => [...value].length;

/**
 * One account per address however it is typed: NFKC folds compatibility forms
 * (full-width letters, ligatures) into their plain letters, surrounding spaces
 * go, and the whole address is lowercased.
 */
function email(value) {
  if (typeof value !== 'string') throw invalid(MESSAGES.email);
  const normalized = wellFormed(value, 'email').normalize('NFKC').trim().toLowerCase();
  if (characters(normalized) > MAX_EMAIL_LENGTH || !EMAIL.test(normalized)) throw invalid(MESSAGES.email);
  return normalized;
}

/**
 * A password is any well-formed Unicode text, compared after NFKC
 * normalisation (NIST SP 800-63B §5.1.1.2), so the same password typed on
 * another keyboard or OS still matches. Signup and login both call this.
 */
function password(value, field = 'password') {
  return wellFormed(value, field).normalize('NFKC');
}

function title(value) {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(MESSAGES.title);
  const trimmed = wellFormed(value, 'title').trim();
  if (characters(trimmed) > MAX_TITLE_LENGTH) throw invalid(MESSAGES.title);
  return trimmed;
}

export function parseSignup(body) {
  const { email: rawEmail, password: rawPassword, name } = requireObject(body);
  const cleanEmail = email(rawEmail);
  if (typeof rawPassword !== 'string') throw invalid(MESSAGES.password);
  const cleanPassword = password(rawPassword);
  if (characters(cleanPassword) < MIN_PASSWORD_LENGTH) throw invalid(MESSAGES.password);
  if (
    name !== undefined &&
    name !== null &&
    (typeof name !== 'string' || characters(wellFormed(name, 'name')) > MAX_NAME_LENGTH)
  ) {
    throw invalid(MESSAGES.name);
  }
  return { email: cleanEmail, password: cleanPassword, name: name?.trim() || null };
}

export function parseLogin(body) {
  const { email: rawEmail, password: rawPassword } = requireObject(body);
  const cleanEmail = email(rawEmail);
  if (typeof rawPassword !== 'string' || rawPassword === '') throw invalid(MESSAGES.loginPassword);
  return { email: cleanEmail, password: password(rawPassword) };
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
 * The query of GET /api/todos, as each framework parsed it (values are
 * strings, or lists when a name is repeated): `limit` (1 to 100, default 50)
 * and `cursor` (a nextCursor, unchanged). Other names are ignored.
 */
export function parseTodoListQuery(query) {
  const { limit: rawLimit, cursor: rawCursor } = query ?? {};
  let limit = DEFAULT_PAGE_SIZE;
  if (rawLimit !== undefined) {
    if (typeof rawLimit !== 'string' || !/^\d{1,3}$/.test(rawLimit)) throw invalid(MESSAGES.limit);
    limit = Number(rawLimit);
    if (limit < 1 || limit > MAX_PAGE_SIZE) throw invalid(MESSAGES.limit);
  }
  if (rawCursor === undefined) return { limit };
  if (typeof rawCursor !== 'string') throw invalid(MESSAGES.cursor);
  const after = positionOf(rawCursor);
  if (after === undefined) throw invalid(MESSAGES.cursor);
  return { limit, after };
}

// A cursor is the position of the last todo on a page (see TodoPosition),
// base64url-encoded so that clients treat it as opaque rather than as a number
// to do arithmetic on. Only what todoCursor makes is accepted back.

/** The nextCursor of a page that ends with the todo at `position`. */
export function todoCursor(position) {
  return Buffer.from(String(position)).toString('base64url');
}

function positionOf(cursor) {
  if (!/^[A-Za-z0-9_-]{1,24}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  const position = Number(text);
  const canonical = /^[1-9]\d*$/.test(text) && Number.isSafeInteger(position) && todoCursor(position) === cursor;
  return canonical ? position : undefined;
}
