import { STATUS_CODES } from 'node:http';

/** A client's mistake, answered with its own 4xx status and message. */
export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

/**
 * A dependency the server needs (its database) is down for now: the request
 * gets a 503 and one $exception, and the process keeps serving.
 */
export class ServiceUnavailableError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'ServiceUnavailableError';
  }
}

const CLIENT_ERROR_MESSAGES = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request body must not exceed 100 kB',
  414: 'URI Too Long',
  415: 'Content-Type must be application/json',
  431: 'Request Header Fields Too Large',
};

/**
 * Frameworks and body parsers throw their own errors for a client's mistakes
 * (malformed JSON, a body over the limit). Map any of them to the status and
 * message the client should see, or return null for a genuine server error.
 */
export function clientErrorOf(error) {
  const status = error?.status ?? error?.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499) return null;
  if (error instanceof HttpError) return { status, message: error.message };
  if (status === 400 && /JSON|parse/i.test(`${error.type} ${error.message} ${error.code}`)) {
    return { status, message: 'Request body is not valid JSON' };
  }
  return { status, message: CLIENT_ERROR_MESSAGES[status] ?? 'Bad Request' };
}

// What Node itself answers to a request it cannot parse (a bad method, a broken
// Content-Length, a head over 16 kB), before any framework sees it.
const PARSER_ERROR_STATUS = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * The server's 'clientError' listener (Fastify's clientErrorHandler): the same
 * status Node would send, with the same JSON error body as every other error,
 * whichever framework runs. Then the connection is closed, as Node does.
 */
export function answerClientError(error, socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = PARSER_ERROR_STATUS[error.code] ?? 400;
  // A response already under way on this socket must not be interleaved with.
  // (_httpMessage is Node's own, undocumented link from a socket to its response.)
  if (socket.writable && !socket._httpMessage?.headersSent) {
    const body = JSON.stringify({ error: STATUS_CODES[status] });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The status of a server error: 503 while a dependency is down, else 500. */
export function serverErrorStatusOf(error) {
  return error instanceof ServiceUnavailableError ? 503 : 500;
}
