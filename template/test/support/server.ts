// Runs the real server (node src/server.ts) as a child process pointed at a
// capture sink, for what only a process does: start-up, signals, shutdown,
// restarts, several processes on one database. The other tests run the app in
// the test process (in-process.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startCaptureSink } from '../../scripts/capture-sink.ts';
import type { CapturedEvent, CaptureSink, CaptureSinkOptions, ReceivedRequest } from '../../scripts/capture-sink.ts';
import { createClient, newProjectToken } from './client.ts';
import { newTestDatabaseUrl } from './database.ts';

export interface ServerOptions {
  /** The capture sink the server sends to (POSTHOG_HOST); none: the environment decides. */
  sink?: CaptureSink;
  /** The project token; null starts the server without one. */
  token?: string | null;
  env?: Record<string, string>;
}

/** How the process ended: an exit code, or the signal that killed it. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type TestServer = Awaited<ReturnType<typeof startServer>>;

export interface ScenarioOptions {
  flags?: CaptureSinkOptions['flags'];
  env?: Record<string, string>;
  token?: string | null;
  sinkOptions?: Omit<CaptureSinkOptions, 'flags'>;
}

export interface ScenarioResult<T> {
  result: T;
  events: CapturedEvent[];
  requests: ReceivedRequest[];
  server: TestServer;
  sink: CaptureSink;
}

export { startCaptureSink };

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// In text, or inside a JSON line's "msg" (NODE_ENV=production).
const READY_LINE = /listening on (http:\/\/[^\s"]+)/;
const READY_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 15_000;

// Settings the developer's shell or .env might carry must not leak into a test server.
const INHERITED_SETTING = /^(POSTHOG_|PORT$|HOST$|NODE_ENV$|NODE_TEST_CONTEXT$|DATABASE_URL$|SESSION_TTL_SECONDS$)/;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The warning switches `npm test` runs with (package.json), for the servers it starts too. */
export const nodeFlags = () => process.execArgv.filter((flag) => flag.startsWith('--disable-warning'));

/**
 * Starts the server and resolves once it prints its "listening on" line.
 * `token: null` starts it without a PostHog token; `env` adds or overrides variables.
 * Each server gets an empty database of its own unless `env.DATABASE_URL` names one.
 */
export async function startServer({ sink, token = newProjectToken(), env = {} }: ServerOptions = {}) {
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !INHERITED_SETTING.test(name)),
  );
  Object.assign(childEnv, { PORT: '0', HOST: '127.0.0.1' });
  if (!('DATABASE_URL' in env)) childEnv.DATABASE_URL = await newTestDatabaseUrl();
  if (token) childEnv.POSTHOG_PROJECT_TOKEN = token;
  if (sink) childEnv.POSTHOG_HOST = sink.url;
  Object.assign(childEnv, env);

  const child = spawn(process.execPath, [...nodeFlags(), 'src/server.ts'], {
    cwd: PROJECT_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk) => (output.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (output.stderr += chunk));
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const url = await new Promise<string>((resolve, reject) => {
    let settled = false;
    const settle = (error: string | null, value?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      if (!error) return resolve(value!);
      child.kill('SIGKILL');
      reject(new Error(`Server ${error}.\n--- stdout ---\n${output.stdout}\n--- stderr ---\n${output.stderr}`));
    };
    const onData = () => {
      const match = READY_LINE.exec(output.stdout);
      if (match) settle(null, match[1]);
    };
    const timer = setTimeout(
      () => settle(`did not print "listening on ..." within ${READY_TIMEOUT_MS} ms`),
      READY_TIMEOUT_MS,
    );
    child.stdout.on('data', onData);
    exited.then(({ code, signal }) => settle(`exited (code ${code}, signal ${signal}) before listening`));
  });

  return {
    url,
    /** The project token the server was given, whichever variable carried it. */
    token: childEnv.POSTHOG_PROJECT_TOKEN || childEnv.POSTHOG_API_KEY || null,
    output,
    ...createClient(url),

    /** Sends SIGTERM and resolves with {code, signal} once the process has exited. */
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },

    /** Sends a signal without waiting for the exit (see `exited`). */
    signal(signal: NodeJS.Signals) {
      child.kill(signal);
    },

    /** Resolves with {code, signal} once the process has exited, however it ends. */
    exited,

    /** Resolves once stdout or stderr has printed a line matching `pattern`. */
    waitForOutput(pattern: RegExp, { timeout = 10_000 } = {}) {
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = `${output.stdout}\n${output.stderr}`.split('\n').find((text) => pattern.test(text));
          if (line === undefined) return;
          done();
          resolve(line);
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `No output line matched ${pattern} within ${timeout} ms.\n--- stdout ---\n${output.stdout}\n--- stderr ---\n${output.stderr}`,
            ),
          );
        }, timeout);
        const done = () => {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
        };
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        check();
      });
    },

    /** For cleanup after a failed test: ends the process however it can. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },

    /**
     * Resolves once the server no longer accepts new connections (after a
     * signal), by trying fresh connections until one is refused.
     */
    async waitUntilNotListening() {
      for (;;) {
        const refused = await new Promise<boolean>((resolve) => {
          const req = httpRequest(`${url}/health`, { agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(false));
          });
          req.on('error', () => resolve(true));
          req.end();
        });
        if (refused) return;
      }
    },
  };
}

/** Stops the server and checks it ended the way the contract says: exit code 0. */
export async function stopCleanly(server: TestServer) {
  const { code, signal } = await server.stop();
  assert.equal(
    code,
    0,
    `server should exit 0 on SIGTERM, got code ${code} signal ${signal}\n--- stderr ---\n${server.output.stderr}`,
  );
}

/**
 * Runs one scenario against a fresh server and sink, then shuts the server
 * down. Shutdown flushes PostHog, so `events` is everything the server ever
 * sent: scenarios can assert exact event lists. `sinkOptions` go to
 * startCaptureSink (for example its `secretKey`).
 */
export async function runScenario<T>(
  scenario: (server: TestServer, sink: CaptureSink) => T | Promise<T>,
  { flags, env, token, sinkOptions }: ScenarioOptions = {},
): Promise<ScenarioResult<T>> {
  const sink = await startCaptureSink({ ...sinkOptions, flags });
  let server: TestServer | undefined;
  try {
    server = await startServer({ sink, env, token });
    const result = await scenario(server, sink);
    await stopCleanly(server);
    for (const event of sink.events) {
      assert.equal(event.api_key, server.token, `event ${event.event} was sent with another project token`);
    }
    return { result, events: sink.events, requests: sink.requests, server, sink };
  } finally {
    await server?.kill();
    await sink.close();
  }
}
