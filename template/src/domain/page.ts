import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PostHogConfig } from '../config.ts';
import { relayFor, type Relay } from '../relay.ts';

const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/**
 * The page's security headers. posthog-js reaches PostHog through the relay
 * on this origin, so scripts and connections can be limited to 'self': the
 * page loads nothing from elsewhere, and an injected script could not send
 * anything elsewhere either. Styles may be inline (posthog-js's surveys and
 * toolbar inject theirs), images data: URLs, and session replay's compression
 * runs in a blob: worker.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "connect-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
};

/** The browser page in public/, as the framework's static file handler serves it. */
export interface Page {
  /** public/, served at /. */
  publicDir: string;
  /** posthog-js from node_modules, served at /vendor/posthog-js: the version package.json pins, no CDN. */
  posthogJsDir: string;
  /** What every file of the page is served with (SECURITY_HEADERS). */
  headers: Readonly<Record<string, string>>;
  /** The relay to PostHog at POSTHOG_PROXY_PATH (src/relay.ts), which posthog-js uses as its api_host. */
  relay: Relay;
  /** What GET /posthog-config.json answers: the page starts posthog-js with it. */
  browserConfig: {
    token: string | null;
    /** posthog-js's api_host: the relay's path, on this origin. */
    apiHost: string;
    /** posthog-js's ui_host: PostHog's app for the configured host. */
    uiHost: string;
  };
}

/**
 * The browser page, or null in a project generated without it (no public/,
 * no posthog-js): then every such URL is a 404, the relay's included.
 *
 * The page only ever learns the project token and where to send events. The
 * token is public by PostHog's design (every browser that loads posthog-js
 * has it); nothing else from the environment leaves the server. Without a
 * token the page runs without analytics.
 */
export function loadPage({
  apiKey,
  host,
  proxyPath,
}: Pick<PostHogConfig, 'apiKey' | 'host' | 'proxyPath'>): Page | null {
  if (!proxyPath || !existsSync(join(PUBLIC_DIR, 'index.html'))) return null;
  const require = createRequire(import.meta.url);
  const relay = relayFor(host, proxyPath);
  return {
    publicDir: PUBLIC_DIR,
    posthogJsDir: dirname(require.resolve('posthog-js/dist/module.full.js')),
    headers: SECURITY_HEADERS,
    relay,
    browserConfig: { token: apiKey || null, apiHost: relay.path, uiHost: relay.uiHost },
  };
}
