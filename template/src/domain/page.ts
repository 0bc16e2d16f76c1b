import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PostHogConfig } from '../config.ts';

const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/** The browser page in public/, as the framework's static file handler serves it. */
export interface Page {
  /** public/, served at /. */
  publicDir: string;
  /** posthog-js from node_modules, served at /vendor/posthog-js: the version package.json pins, no CDN. */
  posthogJsDir: string;
  /** What GET /posthog-config.json answers: the page starts posthog-js with it. */
  browserConfig: { token: string | null; host: string };
}

/**
 * The browser page, or null in a project generated without it (no public/,
 * no posthog-js): then every such URL is a 404.
 *
 * The page only ever learns the project token and host. The token is public by
 * PostHog's design (every browser that loads posthog-js has it); nothing else
 * from the environment leaves the server. Without a token the page runs
 * without analytics.
 */
export function loadPage({ apiKey, host }: Pick<PostHogConfig, 'apiKey' | 'host'>): Page | null {
  if (!existsSync(join(PUBLIC_DIR, 'index.html'))) return null;
  const require = createRequire(import.meta.url);
  return {
    publicDir: PUBLIC_DIR,
    posthogJsDir: dirname(require.resolve('posthog-js/dist/module.full.js')),
    browserConfig: { token: apiKey || null, host },
  };
}
