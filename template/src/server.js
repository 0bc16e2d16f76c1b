import { createApi } from './api.js';
import { createServer } from './app.js';
import { loadConfig } from './config.js';
import { openStore } from './database.js';
import { createPostHog, waitForFlagDefinitions } from './posthog.js';

// With local evaluation, how long start-up waits for the first flag definitions.
const FLAG_DEFINITIONS_WAIT_MS = 2_000;

// In-flight requests get this long to finish on shutdown before being cut off.
const SHUTDOWN_GRACE_MS = 10_000;

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
const api = createApi({ store, posthog, production: config.production });
// The database closes last: in-flight requests and PostHog's flush come first.
const { server, close } = await createServer(api, {
  onClose: async () => {
    try {
      await posthog.shutdown();
    } finally {
      await store.close();
    }
  },
});

server.once('error', (error) => {
  const where = `${config.host ?? 'all interfaces'} port ${config.port}`;
  if (error.code === 'EADDRINUSE') exitWith(`Port ${config.port} is already in use: set PORT to a free port (0 picks any).`);
  exitWith(`Cannot listen on ${where}: ${error.message}`);
});

server.listen(config.port, config.host, () => {
  const { port } = server.address();
  const host = config.host ?? 'localhost';
  console.log(`listening on http://${host.includes(':') ? `[${host}]` : host}:${port}`);
});

let shuttingDown = false;

// server.close() only closes connections that are idle at that moment. A
// keep-alive connection whose request is still running would otherwise stay
// open until its idle timeout once that request is answered.
server.on('request', (req, res) => {
  res.once('finish', () => {
    if (shuttingDown) setImmediate(() => server.closeIdleConnections());
  });
});

async function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(`${signal} received: finishing in-flight requests and flushing PostHog`);
  setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
  try {
    await close();
    process.exit(0);
  } catch (error) {
    console.error('Shutdown failed:', error);
    process.exit(1);
  }
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
