import { readFileSync } from 'node:fs';

// Defaults chosen when the project was generated live in package.json "config",
// so there is one place to change them and no generated constants in the code.
const { config: defaults } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
);

function parsePort(value) {
  if (value === undefined || value.trim() === '') return defaults.port;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${value}"`);
  }
  return port;
}

/**
 * An http(s) URL, optionally with a path (a reverse proxy such as
 * https://example.com/ingest), without the trailing '/'. The SDK appends
 * /batch/ and /flags/ to it, so anything else fails every request later.
 */
export function parsePostHogHost(value) {
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

export function loadConfig(env = process.env) {
  return {
    port: parsePort(env.PORT),
    host: env.HOST?.trim() || undefined,
    production: env.NODE_ENV === 'production',
    posthog: {
      apiKey: env.POSTHOG_PROJECT_TOKEN?.trim() || env.POSTHOG_API_KEY?.trim() || '',
      host: parsePostHogHost(env.POSTHOG_HOST),
      debug: env.POSTHOG_DEBUG === 'true',
    },
  };
}
