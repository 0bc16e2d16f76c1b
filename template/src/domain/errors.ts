import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A client's mistake, answered with its own 4xx status and message (and headers, such as Retry-After). */
export class HttpError extends Error {
  declare status: number;
  declare headers: Record<string, string> | undefined;

  constructor(status: number, message: string, { headers }: { headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

/**
 * A dependency the server needs (its database) is down for now: the request
 * gets a 503 and one $exception, and the process keeps serving.
 */
export class ServiceUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ServiceUnavailableError';
  }
}

/** The status, headers and JSON body an error is answered with. */
export interface ErrorReply {
  status: number;
  /** Headers the answer must carry (a 429's Retry-After); none for most errors. */
  headers?: Record<string, string>;
  body: { error: string; stack?: string };
}

// What frameworks, routers and body parsers put on the errors they throw for a
// client's mistake (anything may be thrown).
interface Thrown {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  code?: unknown;
  message?: unknown;
}

// The parsers' own words are terse ("request entity too large"); the contract's
// client gets these, whichever framework parsed the body.
const MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request body must not exceed 100 kB',
  414: 'URI Too Long',
  415: 'Unsupported Media Type: send the body as application/json (UTF-8)',
  431: 'Request Header Fields Too Large',
};
const INVALID_JSON = /json|parse|syntax/i;

function clientStatusOf(error: unknown): number | undefined {
  if (error instanceof URIError) return 400; // a router decoding %zz
  const { status, statusCode } = (error ?? {}) as Thrown;
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 499 ? value : undefined;
}

/** Whether an error is the server's own fault: worth a 5xx and one $exception. */
export function isServerError(error: unknown): boolean {
  return clientStatusOf(error) === undefined;
}

/**
 * The answer to any error a request ends with. A client's mistake, from our
 * rules (HttpError) or from the framework's parser and router, keeps its 4xx;
 * a database that is down for now is a 503; anything else is a 500, with its
 * stack outside production.
 */
export function errorReply(error: unknown, { production }: { production: boolean }): ErrorReply {
  const status = clientStatusOf(error);
  if (status !== undefined) {
    if (error instanceof HttpError) {
      return { status, ...(error.headers ? { headers: error.headers } : {}), body: { error: error.message } };
    }
    const { type, code, message } = error as Thrown;
    const invalidJson = status === 400 && INVALID_JSON.test(`${type} ${code} ${message}`);
    return {
      status,
      body: { error: invalidJson ? 'Request body is not valid JSON' : (MESSAGES[status] ?? 'Bad Request') },
    };
  }
  if (error instanceof ServiceUnavailableError) return { status: 503, body: { error: 'Service Unavailable' } };
  const body: ErrorReply['body'] = { error: 'Internal Server Error' };
  if (!production) body.stack = String((error as Error | undefined)?.stack ?? error);
  return { status: 500, body };
}

export const NOT_FOUND: ErrorReply = { status: 404, body: { error: 'Not Found' } };

// What Node itself answers to a request it cannot parse (a bad method, a broken
// Content-Length, a head over 16 kB), before any framework sees it.
const PARSER_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

// Sockets with a response under way: a parse error on a later, pipelined
// request must not be written into the middle of it.
const answering = new WeakSet<Socket>();

/** Marks each socket while one of its responses is being written (see answerClientError). */
export function trackResponses(response: ServerResponse): void {
  const socket = response.socket;
  if (!socket) return;
  answering.add(socket);
  response.once('close', () => answering.delete(socket));
}

/**
 * The server's 'clientError' listener (Fastify's clientErrorHandler): the
 * status Node would send, with the same JSON error body as every other error.
 * Then the connection is closed, as Node does.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = PARSER_ERROR_STATUS[error.code as string] ?? 400;
  if (socket.writable && !answering.has(socket)) {
    const body = JSON.stringify({ error: STATUS_CODES[status] });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
