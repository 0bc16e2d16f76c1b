// The server's log lines in the test process: a logger (src/logger.ts) that
// writes where a test can read, and production's JSON lines parsed.
import { Writable } from 'node:stream';

/** A stream that appends what is written to it to `into[key]`. */
export function appendTo<K extends string>(into: Record<K, string>, key: K): Writable {
  return new Writable({
    write(chunk, encoding, done) {
      into[key] += String(chunk);
      done();
    },
  });
}

/** A JSON log line as production writes it (pino's fields, and src/logger.ts's serializers). */
export interface LogLine {
  level: number;
  msg: string;
  reqId?: unknown;
  req?: { method: string; path: string };
  res?: { statusCode: number };
  responseTime?: number;
  err?: { type?: string; message: string; stack?: string };
}

/** pino's numbers for its levels. */
export const LEVEL = { info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** The JSON lines of `text`; throws on a line that is not one. */
export function jsonLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

/** The request lines among them: one per request. */
export const requestLines = (text: string) => jsonLines(text).filter((line) => line.req && line.res);

/**
 * Resolves once `condition()` holds, or after `timeoutMs`: a request's line
 * is written once its response has ended, which the client may see first.
 */
export async function eventually(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The request lines of `read()`, once there are at least `count`; rejects after 2 s with what there was. */
export async function waitForRequestLines(read: () => string, count: number): Promise<LogLine[]> {
  await eventually(() => requestLines(read()).length >= count);
  const lines = requestLines(read());
  if (lines.length < count) throw new Error(`expected ${count} request lines, got:\n${read()}`);
  return lines;
}
