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

export function loadConfig(env = process.env) {
  return {
    port: parsePort(env.PORT),
    host: env.HOST?.trim() || undefined,
    production: env.NODE_ENV === 'production',
    // Checked by src/database.js, which knows what its database accepts.
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    posthog: {
      apiKey: env.POSTHOG_PROJECT_TOKEN?.trim() || env.POSTHOG_API_KEY?.trim() || '',
      host: env.POSTHOG_HOST?.trim() || defaults.posthogHost,
      debug: env.POSTHOG_DEBUG === 'true',
    },
  };
}
