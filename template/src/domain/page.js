import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/**
 * The browser page, or null in a project generated without it (no public/,
 * no posthog-js): then every such URL is a 404.
 *
 * The page only ever learns the project token and host. The token is public by
 * PostHog's design (every browser that loads posthog-js has it); nothing else
 * from the environment leaves the server. Without a token the page runs
 * without analytics.
 */
export function loadPage({ apiKey, host }) {
  if (!existsSync(join(PUBLIC_DIR, 'index.html'))) return null;
  const require = createRequire(import.meta.url);
  return {
    publicDir: PUBLIC_DIR,
    posthogJsDir: dirname(require.resolve('posthog-js/dist/module.full.js')),
    browserConfig: { token: apiKey || null, host },
  };
}
