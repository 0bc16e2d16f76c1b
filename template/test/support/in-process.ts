// The app in the test process, started as src/server.ts starts it: settings
// from an environment, a database of its own, PostHog pointed at a capture
// sink, and buildApp() listening on a free port (support/app.ts, the
// framework's way). What only a real process does (start-up failures,
// signals, shutdown, restarts) is tested with support/server.ts.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { mock } from 'node:test';
import { format } from 'node:util';
import { startCaptureSink } from '../../scripts/capture-sink.ts';
import type { CaptureSink } from '../../scripts/capture-sink.ts';
import { loadConfig } from '../../src/config.ts';
import { openStore } from '../../src/data/database.ts';
import { loadPage } from '../../src/domain/page.ts';
import { createLogger } from '../../src/logger.ts';
import { createPostHog, pendingEvents, stopPostHog, waitForFlagDefinitions } from '../../src/posthog.ts';
import { listen } from './app.ts';
import { createClient, newProjectToken } from './client.ts';
import { newTestDatabaseUrl } from './database.ts';
import { appendTo } from './log.ts';
import type { ScenarioOptions, ScenarioResult as ServerScenarioResult } from './server.ts';

export interface AppOptions {
  /** The capture sink the app sends to (POSTHOG_HOST); none: one of its own, closed with the app. */
  sink?: CaptureSink;
  /** The project token; null starts the app without one. */
  token?: string | null;
  /** Environment variables, as the server would read them: DATABASE_URL, POSTHOG_*, NODE_ENV, LOG_LEVEL. */
  env?: Record<string, string>;
}

/** What the app printed: its log lines (warnings and errors on stderr), and the libraries' console output. */
export interface Output {
  stdout: string;
  stderr: string;
}

export type TestApp = Awaited<ReturnType<typeof startApp>>;

// A scenario takes the same options as one against a real server (support/server.ts).
export type { ScenarioOptions };

export interface ScenarioResult<T> extends Omit<ServerScenarioResult<T>, 'server'> {
  server: TestApp;
}

export { startCaptureSink };

// As src/lifecycle.ts: how long start-up waits for flag definitions, and
// stopping for PostHog to deliver what is queued.
const FLAG_DEFINITIONS_WAIT_MS = 2_000;
const POSTHOG_FLUSH_MS = 2_000;

// Each app's logger writes to its output. posthog-node's debug lines go
// through the console: each app runs in a context of its own (its server
// listens inside it, so every request runs there too), and what it prints
// goes to its output too, as a spawned server's would, not into the test
// report. Installed before any PostHog client exists, since the SDK keeps the
// console's methods.
const appOutput = new AsyncLocalStorage<Output>();
const CONSOLE_STREAMS = { log: 'stdout', info: 'stdout', debug: 'stdout', warn: 'stderr', error: 'stderr' } as const;
for (const name of Object.keys(CONSOLE_STREAMS) as (keyof typeof CONSOLE_STREAMS)[]) {
  const original = console[name];
  mock.method(console, name, (...args: unknown[]) => {
    const output = appOutput.getStore();
    if (output) output[CONSOLE_STREAMS[name]] += `${format(...args)}\n`;
    else original.apply(console, args);
  });
}

/** `store`, noting the name of each of its methods called in `calls`. */
function recordingCalls<T extends object>(store: T, calls: string[]): T {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return value.apply(target, args);
      };
    },
  });
}

/**
 * Starts the app and resolves once it listens. `token: null` starts it
 * without a PostHog token; `env` adds or overrides variables. Each app gets an
 * empty database of its own unless `env.DATABASE_URL` names one. Rejects with
 * the configuration's error when a setting is wrong.
 */
export async function startApp({ sink, token = newProjectToken(), env = {} }: AppOptions = {}) {
  const ownSink = sink || env.POSTHOG_HOST ? undefined : await startCaptureSink();
  const target = sink ?? ownSink;
  const output: Output = { stdout: '', stderr: '' };
  // What stop() closes, last opened first; a start that fails closes what it opened.
  const closers: (() => Promise<unknown>)[] = [async () => ownSink?.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    const settings: Record<string, string> = {};
    if (!('DATABASE_URL' in env)) settings.DATABASE_URL = await newTestDatabaseUrl();
    if (token) settings.POSTHOG_PROJECT_TOKEN = token;
    if (target) settings.POSTHOG_HOST = target.url;
    Object.assign(settings, env);
    const config = loadConfig(settings);
    const logger = await createLogger({
      level: config.logLevel,
      production: config.production,
      stdout: appendTo(output, 'stdout'),
      stderr: appendTo(output, 'stderr'),
    });

    return await appOutput.run(output, async () => {
      // Every Store method the app calls, by name, in order: what a request did to the database.
      const storeCalls: string[] = [];
      const store = recordingCalls(await openStore(config.databaseUrl), storeCalls);
      closers.push(() => store.close());
      const posthog = createPostHog(config.posthog, logger);
      // stopPostHog shuts the client down once all was delivered. A server
      // would exit now; this process goes on, so the client's timers and flag
      // poller must stop even with events left.
      let postHogStopped = false;
      closers.push(async () => {
        if (!postHogStopped || pendingEvents(posthog) > 0) await posthog.shutdown(1);
      });
      await waitForFlagDefinitions(posthog, FLAG_DEFINITIONS_WAIT_MS);
      const server = await listen({
        store,
        posthog,
        production: config.production,
        page: loadPage(config.posthog),
        logger,
      });

      let stopped: Promise<number> | undefined;
      return {
        url: server.url,
        /** The project token the app was given, whichever variable carried it. */
        token: config.posthog.apiKey || null,
        output,
        /** The sink the app sends to (none when env.POSTHOG_HOST names another host). */
        sink: target,
        /** The names of the Store methods the app has called so far, in order. */
        storeCalls,
        ...createClient(server.url),

        /**
         * Stops listening, gives PostHog up to 2 s to deliver what is queued,
         * closes the database; resolves with the number of events that did
         * not reach PostHog. Calling it again waits for the first call.
         */
        stop(): Promise<number> {
          stopped ??= appOutput.run(output, async () => {
            // posthog-node's timers never keep a process alive, and with
            // PostHog unreachable they may be all that is left: hold this one
            // until the client has stopped.
            const hold = setInterval(() => {}, 1_000);
            try {
              await server.close();
              const undelivered = await stopPostHog(posthog, POSTHOG_FLUSH_MS);
              postHogStopped = true;
              return undelivered;
            } finally {
              await closeAll().finally(() => clearInterval(hold));
            }
          });
          return stopped;
        },
      };
    });
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * Runs one scenario against a fresh app and sink, then stops the app.
 * Stopping flushes PostHog, so `events` is everything the app ever sent:
 * scenarios can assert exact event lists. `sinkOptions` go to
 * startCaptureSink (for example its `secretKey`).
 */
export async function runScenario<T>(
  scenario: (server: TestApp, sink: CaptureSink) => T | Promise<T>,
  { flags, env, token, sinkOptions }: ScenarioOptions = {},
): Promise<ScenarioResult<T>> {
  const sink = await startCaptureSink({ ...sinkOptions, flags });
  let server: TestApp | undefined;
  try {
    server = await startApp({ sink, env, token });
    const result = await scenario(server, sink);
    const undelivered = await server.stop();
    assert.equal(undelivered, 0, `events not delivered to the sink\n--- stderr ---\n${server.output.stderr}`);
    for (const event of sink.events) {
      assert.equal(event.api_key, server.token, `event ${event.event} was sent with another project token`);
    }
    return { result, events: sink.events, requests: sink.requests, server, sink };
  } finally {
    await server?.stop();
    await sink.close();
  }
}
