import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

/**
 * The browser page in public/: what the framework adapter serves besides the
 * API. `routes` answer without a request context; `staticRoots` are URL
 * prefixes and the directories the framework's own static handler serves them
 * from. A project generated without the page has no public/ (and no
 * posthog-js): then there is nothing to serve, and every such URL is a 404.
 *
 * The page only ever learns the project token and host. The token is public by
 * PostHog's design (every browser that loads posthog-js has it); nothing else
 * from the environment leaves the server. Without a token, `token` is null and
 * the page runs without analytics.
 */
export function createFrontend({ apiKey, host }) {
  if (!existsSync(join(PUBLIC_DIR, 'index.html'))) return { routes: [], staticRoots: [] };
  const browserConfig = { token: apiKey || null, host };
  return {
    routes: [
      {
        method: 'GET',
        path: '/posthog-config.json',
        handle: () => ({ status: 200, body: browserConfig }),
      },
    ],
    staticRoots: [
      { prefix: '/', root: PUBLIC_DIR },
      // posthog-js from node_modules: the page works offline, at the version package.json pins.
      { prefix: '/vendor/posthog-js', root: dirname(require.resolve('posthog-js/dist/module.full.js')) },
    ],
  };
}
