import { readFileSync } from 'node:fs';

/** pino's levels, most to least severe; `silent` writes no log lines. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** 30 days: how long a token is valid when SESSION_TTL_SECONDS is unset. */
export const DEFAULT_SESSION_TTL_SECONDS = 30 * 24 * 60 * 60;
// Ten years: a token valid longer than that is one that never expires.
const MAX_SESSION_TTL_SECONDS = 10 * 365 * 24 * 60 * 60;

// Defaults chosen when the project was generated live in package.json "config",
// so there is one place to change them and no generated constants in the code.
const { config: defaults } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function parsePort(value) {
  if (value === undefined || value.trim() === '') return defaults.port;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${value}"`);
  }
  return port;
}

function parseSessionTtl(value) {
  if (value === undefined || value.trim() === '') return DEFAULT_SESSION_TTL_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SESSION_TTL_SECONDS) {
    throw new Error(
      `SESSION_TTL_SECONDS must be a whole number of seconds from 1 to ${MAX_SESSION_TTL_SECONDS}, got "${value}"`,
    );
  }
  return seconds;
}

function parseLogLevel(value) {
  const level = value?.trim().toLowerCase();
  if (!level) return 'info';
  if (!LOG_LEVELS.includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  }
  return level;
}

// posthog-node refuses a project token as secret key by throwing from its
// constructor; say it here in one line instead (never echoing the value).
function parseSecretKey(value) {
  const key = value?.trim() || undefined;
  if (key?.startsWith('phc_')) {
    throw new Error(
      'POSTHOG_SECRET_KEY holds a project token (phc_...). It takes a feature-flags secret key (phs_...) ' +
        'or a personal API key (phx_...); the project token goes in POSTHOG_PROJECT_TOKEN.',
    );
  }
  return key;
}

// Unset keeps the SDK's 30 s; it never polls more often than every 100 ms.
function parsePollInterval(value) {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100) {
    throw new Error(
      `POSTHOG_FLAGS_POLL_INTERVAL_MS must be a whole number of milliseconds, at least 100, got "${value}"`,
    );
  }
  return ms;
}

/**
 * An http(s) URL, optionally with a path (a reverse proxy such as
 * https://example.com/ingest), without the trailing '/'. The SDK appends
 * /batch/ and /flags/ to it, so anything else fails every request later.
 */
function parsePostHogHost(value) {
  const text = value?.trim();
  if (!text) return defaults.posthogHost;
  let url;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    const hint = /^[\w.-]+(:\d+)?(\/|$)/.test(text) ? ` (did you mean https://${text}?)` : '';
    throw new Error(`POSTHOG_HOST must be an http:// or https:// URL, got "${text}"${hint}`);
  }
  // Not echoed: it may carry a password.
  if (url.username || url.password) throw new Error('POSTHOG_HOST must not contain a user name or password');
  if (url.search || url.hash) throw new Error(`POSTHOG_HOST must not have a query or fragment, got "${text}"`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

// The first path segments the app itself answers: the relay cannot have them.
const APP_PATHS = new Set([
  'api',
  'health',
  'debug',
  'vendor',
  'posthog-config.json',
  'index.html',
  'app.js',
  'style.css',
]);

/**
 * A path of one or more segments (letters, digits, - . _ ~), without the
 * trailing '/', that none of the app's own routes use. Null without a
 * default: a project generated without the page has no relay.
 */
function parseProxyPath(value) {
  const text = value?.trim().replace(/(.)\/+$/, '$1') || defaults.posthogProxyPath;
  if (!text) return null;
  if (!/^(\/[\w.~-]+)+$/.test(text) || /\/\.\.?(\/|$)/.test(text)) {
    throw new Error(`POSTHOG_PROXY_PATH must be a path such as /r7kx2mqd (letters, digits, - . _ ~), got "${text}"`);
  }
  const first = text.split('/')[1].toLowerCase();
  if (APP_PATHS.has(first)) {
    throw new Error(`POSTHOG_PROXY_PATH must not start with /${first}, which the app itself answers; got "${text}"`);
  }
  return text;
}

/** The server's settings, read from the environment once at start-up; throws a one-line Error when one is wrong. */
export function loadConfig(env = process.env) {
  return {
    port: parsePort(env.PORT),
    host: env.HOST?.trim() || undefined,
    production: env.NODE_ENV === 'production',
    logLevel: parseLogLevel(env.LOG_LEVEL),
    // Checked by src/database.js, which knows what its database accepts.
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    sessionTtlSeconds: parseSessionTtl(env.SESSION_TTL_SECONDS),
    posthog: {
      apiKey: env.POSTHOG_PROJECT_TOKEN?.trim() || env.POSTHOG_API_KEY?.trim() || '',
      host: parsePostHogHost(env.POSTHOG_HOST),
      debug: env.POSTHOG_DEBUG === 'true',
      secretKey: parseSecretKey(env.POSTHOG_SECRET_KEY),
      flagsPollIntervalMs: parsePollInterval(env.POSTHOG_FLAGS_POLL_INTERVAL_MS),
      proxyPath: parseProxyPath(env.POSTHOG_PROXY_PATH),
    },
  };
}
