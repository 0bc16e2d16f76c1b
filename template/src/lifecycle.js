import { constants as osConstants } from 'node:os';
import { loadConfig } from './config.js';
import { openStore } from './data/database.js';
import { trackResponses } from './domain/errors.js';
import { createLogger } from './logger.js';
import { createPostHog, pendingEvents, stopPostHog, waitForFlagDefinitions } from './posthog.js';

// With local evaluation, how long start-up waits for the first flag definitions.
const FLAG_DEFINITIONS_WAIT_MS = 2_000;

// Shutdown must end well inside the 10 s container runtimes wait before SIGKILL
// (and `npm run dev` restarts only once it ends): in-flight requests get a few
// seconds, then PostHog gets a bounded share to deliver what is queued.
const REQUEST_GRACE_MS = 3000;
const POSTHOG_FLUSH_MS = 2000;
// Whatever else hangs (a database close, say), the process is gone by then.
const SHUTDOWN_LIMIT_MS = 8000;

// Start-up and shutdown lines are written whatever LOG_LEVEL says: tools wait
// for "listening on", and an exit needs its reason.
const alwaysWritten = (logger) => (logger.isLevelEnabled('info') ? logger : logger.child({}, { level: 'info' }));

function exitWith(logger, message) {
  alwaysWritten(logger).fatal(message);
  process.exit(1);
}

/** Reads the configuration and opens the database and PostHog, or exits with one line saying why not. */
export async function start() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    // LOG_LEVEL may be what is wrong: this line goes out at the default level.
    const logger = await createLogger({ level: 'info', production: process.env.NODE_ENV === 'production' });
    exitWith(logger, `Configuration error: ${error.message}`);
  }
  const logger = await createLogger({ level: config.logLevel, production: config.production });
  let store;
  try {
    store = await openStore(config.databaseUrl, { sessionTtlSeconds: config.sessionTtlSeconds });
  } catch (error) {
    exitWith(logger, `Database error: ${error.message}`);
  }
  const posthog = createPostHog(config.posthog, logger);
  // Until the definitions arrive every flag reads as off, so a restart would
  // briefly show users in a rollout the wrong side. They normally arrive in well
  // under a second; the cap keeps a PostHog outage from holding a deploy.
  await waitForFlagDefinitions(posthog, FLAG_DEFINITIONS_WAIT_MS);
  return { config, logger, store, posthog };
}

/** Why the server could not listen, in one line, then exit. */
export function exitOnListenError(error, { config: { port, host }, logger }) {
  if (error.code === 'EADDRINUSE') {
    exitWith(logger, `Port ${port} is already in use: set PORT to a free port (0 picks any).`);
  }
  exitWith(logger, `Cannot listen on ${host ?? 'all interfaces'} port ${port}: ${error.message}`);
}

const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * Handles SIGTERM and SIGINT, then prints the listening line. On a signal: stop accepting
 * connections, let in-flight requests finish, flush PostHog, close the
 * database, exit 0, all within SHUTDOWN_LIMIT_MS. A second signal exits at once.
 */
export function serve(server, { config, logger, store, posthog, close }) {
  const log = alwaysWritten(logger);
  let shuttingDown = false;
  let inFlight = 0;
  server.on('request', (req, res) => {
    trackResponses(res);
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
    });
    // server.close() only closes connections idle at that moment; a keep-alive
    // connection whose request was still running would stay open until its timeout.
    res.once('finish', () => {
      if (shuttingDown) setImmediate(() => server.closeIdleConnections());
    });
  });

  const undeliveredLine = (count) =>
    `PostHog: ${plural(count, 'event')} not delivered to ${config.posthog.host} (lost on exit).`;

  async function shutdown(signal) {
    if (shuttingDown) {
      // A second Ctrl-C means "now": say what that costs and go.
      const dropped = [`${plural(pendingEvents(posthog), 'PostHog event')} not delivered`];
      if (inFlight > 0) dropped.push(`${plural(inFlight, 'request')} cut off`);
      log.error(`${signal} again: exiting now; ${dropped.join(', ')}.`);
      process.exit(128 + (osConstants.signals[signal] ?? 0));
    }
    shuttingDown = true;
    log.info(`${signal} received: finishing in-flight requests and flushing PostHog (${signal} again to exit now)`);
    setTimeout(() => server.closeAllConnections(), REQUEST_GRACE_MS).unref();
    setTimeout(() => {
      log.error(
        `Shutdown took over ${SHUTDOWN_LIMIT_MS / 1000} s; exiting. ${undeliveredLine(pendingEvents(posthog))}`,
      );
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    try {
      await close();
      // The database closes last: in-flight requests and PostHog's flush come first.
      const undelivered = await stopPostHog(posthog, POSTHOG_FLUSH_MS).finally(() => store.close());
      if (undelivered > 0) log.error(undeliveredLine(undelivered));
    } catch (error) {
      log.error(`Shutdown failed: ${error?.message ?? error}`);
      process.exit(1);
    }
    process.exit(0);
  }

  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  // Last: whoever waits for this line may signal the process at once.
  const { port } = server.address();
  const host = config.host ?? 'localhost';
  log.info(`listening on http://${host.includes(':') ? `[${host}]` : host}:${port}`);
}
