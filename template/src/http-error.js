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
  415: 'Content-Type must be application/json',
};

/**
 * Frameworks and body parsers throw their own errors for a client's mistakes
 * (malformed JSON, a body over the limit). Map any of them to the status and
 * message the client should see, or return null for a genuine server error.
 */
export function clientErrorOf(error) {
  const status = error?.status ?? error?.statusCode;
  if (!Number.isInteger(status) || status < 400 || status > 499) return null;
  if (error instanceof HttpError) return { status, message: error.message };
  if (status === 400 && /JSON|parse/i.test(`${error.type} ${error.message} ${error.code}`)) {
    return { status, message: 'Request body is not valid JSON' };
  }
  return { status, message: CLIENT_ERROR_MESSAGES[status] ?? 'Bad Request' };
}

/** The status of a server error: 503 while a dependency is down, else 500. */
export function serverErrorStatusOf(error) {
  return error instanceof ServiceUnavailableError ? 503 : 500;
}
