import { constants as osConstants } from 'node:os';
import { createApi } from './api.js';
import { createServer } from './app.js';
import { loadConfig } from './config.js';
import { openStore } from './database.js';
import { createFrontend } from './frontend.js';
import { createPostHog, waitForFlagDefinitions } from './posthog.js';

// With local evaluation, how long start-up waits for the first flag definitions.
const FLAG_DEFINITIONS_WAIT_MS = 2_000;

// Shutdown must end well inside the 10 s container runtimes wait before SIGKILL
// (and `npm run dev` restarts only once it ends): in-flight requests get a few
// seconds, then PostHog gets a bounded share to deliver what is queued.
const REQUEST_GRACE_MS = 3000;
const POSTHOG_FLUSH_MS = 2000;
// Whatever else hangs (a database close, say), the process is gone by then.
const SHUTDOWN_LIMIT_MS = 8000;

function exitWith(message) {
  console.error(message);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (error) {
  exitWith(`Configuration error: ${error.message}`);
}
let store;
try {
  store = await openStore(config.databaseUrl);
} catch (error) {
  exitWith(`Database error: ${error.message}`);
}
const posthog = createPostHog(config.posthog);
// Until the definitions arrive every flag reads as off, so a restart would
// briefly show users in a rollout the wrong side (and stats_viewed would record
// it). They normally arrive in well under a second; the cap keeps a PostHog
// outage from holding a deploy, and a refused key ends the wait at once.
await waitForFlagDefinitions(posthog, FLAG_DEFINITIONS_WAIT_MS);
const api = createApi({
  store,
  posthog,
  production: config.production,
  frontend: createFrontend(config.posthog),
});
let undelivered = 0;
// The database closes last: in-flight requests and PostHog's flush come first.
const { server, close } = await createServer(api, {
  onClose: async () => {
    try {
      undelivered = await posthog.stop(POSTHOG_FLUSH_MS);
    } finally {
      await store.close();
    }
  },
});

server.once('error', (error) => {
  const where = `${config.host ?? 'all interfaces'} port ${config.port}`;
  if (error.code === 'EADDRINUSE')
    exitWith(`Port ${config.port} is already in use: set PORT to a free port (0 picks any).`);
  exitWith(`Cannot listen on ${where}: ${error.message}`);
});

server.listen(config.port, config.host, () => {
  const { port } = server.address();
  const host = config.host ?? 'localhost';
  console.log(`listening on http://${host.includes(':') ? `[${host}]` : host}:${port}`);
});

let shuttingDown = false;
let inFlight = 0;

server.on('request', (req, res) => {
  inFlight += 1;
  res.once('close', () => {
    inFlight -= 1;
  });
  // server.close() only closes connections that are idle at that moment. A
  // keep-alive connection whose request is still running would otherwise stay
  // open until its idle timeout once that request is answered.
  res.once('finish', () => {
    if (shuttingDown) setImmediate(() => server.closeIdleConnections());
  });
});

const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;

function undeliveredLine(count) {
  return `PostHog: ${plural(count, 'event')} not delivered to ${config.posthog.host} (lost on exit).`;
}

async function shutdown(signal) {
  if (shuttingDown) {
    // A second Ctrl-C means "now": say what that costs and go.
    const dropped = [plural(posthog.pendingEvents, 'PostHog event') + ' not delivered'];
    if (inFlight > 0) dropped.push(`${plural(inFlight, 'request')} cut off`);
    console.error(`${signal} again: exiting now; ${dropped.join(', ')}.`);
    process.exit(128 + (osConstants.signals[signal] ?? 0));
  }
  shuttingDown = true;
  console.log(`${signal} received: finishing in-flight requests and flushing PostHog (${signal} again to exit now)`);
  setTimeout(() => server.closeAllConnections(), REQUEST_GRACE_MS).unref();
  setTimeout(() => {
    console.error(
      `Shutdown took over ${SHUTDOWN_LIMIT_MS / 1000} s; exiting. ${undeliveredLine(posthog.pendingEvents)}`,
    );
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS).unref();
  try {
    await close();
  } catch (error) {
    console.error(`Shutdown failed: ${error?.message ?? error}`);
    process.exit(1);
  }
  if (undelivered > 0) console.error(undeliveredLine(undelivered));
  process.exit(0);
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
