// The server's log lines in the test process: a logger (src/logger.js) that
// writes where a test can read, and production's JSON lines parsed.
import { Writable } from 'node:stream';

/** A stream that appends what is written to it to `into[key]`. */
export function appendTo(into, key) {
  return new Writable({
    write(chunk, encoding, done) {
      into[key] += String(chunk);
      done();
    },
  });
}

/** pino's numbers for its levels. */
export const LEVEL = { info: 30, warn: 40, error: 50, fatal: 60 };

/** The JSON lines of `text`; throws on a line that is not one. */
export function jsonLines(text) {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

/** The request lines among them: one per request. */
export const requestLines = (text) => jsonLines(text).filter((line) => line.req && line.res);

/**
 * Resolves once `condition()` holds, or after `timeoutMs`: a request's line
 * is written once its response has ended, which the client may see first.
 */
export async function eventually(condition, timeoutMs = 2_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The request lines of `read()`, once there are at least `count`; rejects after 2 s with what there was. */
export async function waitForRequestLines(read, count) {
  await eventually(() => requestLines(read()).length >= count);
  const lines = requestLines(read());
  if (lines.length < count) throw new Error(`expected ${count} request lines, got:\n${read()}`);
  return lines;
}
