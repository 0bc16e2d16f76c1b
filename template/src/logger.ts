import { isatty } from 'node:tty';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

/** Where lines go: a file descriptor (1, 2), or a stream (the tests pass their own). */
export type Output = number | NodeJS.WritableStream;

export interface LoggerOptions {
  level: LogLevel;
  /** NODE_ENV=production: one JSON object per line; otherwise readable text. */
  production: boolean;
  /** Where info and below go; stdout unless given. */
  stdout?: Output;
  /** Where warnings and errors go; stderr unless given. */
  stderr?: Output;
}

// All a line ever says of a request, a response or an error. Never a header
// (the Authorization header, cookies), a query string or a body.
const serializers = {
  req: (req: { method: string; originalUrl?: string; url?: string }) => ({
    method: req.method,
    path: (req.originalUrl ?? req.url ?? '').split('?')[0],
  }),
  res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
  // An error's words and stack (its causes' included), not whatever else it
  // carries: a body parser's error holds the body, a database's the values.
  err: (error: unknown) => {
    const { type, message, stack } = pino.stdSerializers.err(error as Error);
    return typeof message === 'string' ? { type, message, stack } : { message: String(error) };
  },
};

/**
 * The server's logger (pino), for every line it writes: the frameworks'
 * request lines, PostHog's and the database's problems, start-up and
 * shutdown. Warnings and errors go to stderr and the rest to stdout, as
 * console.warn and console.log would.
 */
export async function createLogger({ level, production, stdout = 1, stderr = 2 }: LoggerOptions): Promise<Logger> {
  const format = (!production && (await prettyText())) || jsonLines;
  return pino(
    { level, serializers },
    pino.multistream(
      [
        { level: 'trace', stream: format(stdout) },
        { level: 'warn', stream: format(stderr) },
      ],
      { dedupe: true },
    ),
  );
}

// Written before the call returns, not buffered: the process often exits right
// after a line (a start-up failure, the end of a shutdown).
function jsonLines(output: Output): DestinationStream {
  return typeof output === 'number' ? pino.destination({ dest: output, sync: true }) : output;
}

interface RequestLine {
  req?: { method: string; path: string };
  res?: { statusCode: number };
  responseTime?: number;
}

/**
 * Readable lines through pino-pretty, a request's as "GET /api/todos 200 3 ms"
 * (a 5xx's error follows it with its stack). pino-pretty is a devDependency:
 * without it (`npm ci --omit=dev`) the lines stay JSON.
 */
async function prettyText(): Promise<((output: Output) => DestinationStream) | undefined> {
  let pretty: typeof import('pino-pretty');
  try {
    pretty = (await import('pino-pretty')).default;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  return (output) =>
    pretty({
      destination: output,
      sync: true,
      colorize: typeof output === 'number' && isatty(output) && pretty.isColorSupported,
      ignore: 'pid,hostname,reqId,req,res,responseTime',
      messageFormat: (log, messageKey) => {
        const { req, res, responseTime = 0 } = log as RequestLine;
        if (!req || !res) return String(log[messageKey]);
        const line = `${req.method} ${req.path} ${res.statusCode} ${Math.round(responseTime)} ms`;
        return log[messageKey] === 'request aborted' ? `${line} (aborted)` : line;
      },
    });
}
