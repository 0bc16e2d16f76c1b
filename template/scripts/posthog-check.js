#!/usr/bin/env node
// npm run posthog:check: proves the PostHog settings work before you rely on
// them. Sends one test event and asks for feature flags with the configured
// token and host (and, with POSTHOG_SECRET_KEY, loads the flag definitions
// local evaluation needs), then says plainly what worked or what to fix.
import { randomUUID } from 'node:crypto';
import { PostHog } from 'posthog-node';
import { loadConfig } from '../src/config.js';

const EVENT = 'posthog_setup_checked';

function fail(message) {
  console.error(`✗ ${message}`);
  process.exit(1);
}

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  fail(`Configuration error: ${error.message}`);
}
const { apiKey, host, debug, secretKey } = config.posthog;
if (!apiKey) {
  fail(
    'No PostHog project token. Set POSTHOG_PROJECT_TOKEN=phc_... in .env ' +
      '(find it in PostHog under Settings > Project) and run this again.',
  );
}

const tokenProblem = problemWithToken(apiKey);
if (tokenProblem) fail(tokenProblem);

// The local stand-in (npm run posthog:inspect) marks its answers, so the
// check can tell it apart from PostHog without a request of its own.
let standIn = false;
const posthog = new PostHog(apiKey, {
  host,
  fetch: async (url, options) => {
    const res = await fetch(url, options);
    if (res.headers.get('x-posthog-stand-in')) standIn = true;
    return res;
  },
  flushAt: 1,
  flushInterval: 0,
  // A check should fail in seconds, not retry for the better part of a minute.
  fetchRetryCount: 1,
  fetchRetryDelay: 500,
  requestTimeout: 5000,
});
if (debug) posthog.debug(true);

// The SDK never throws for a failed delivery; it reports it here instead.
const errors = [];
posthog.on('error', (error) => errors.push(error));

// No distinct id: the event is personless, so the check adds no fake person.
await posthog.captureImmediate({ event: EVENT, properties: { source: 'npm run posthog:check' } });
const captureError = errors.shift();

// Ingestion accepts any well-formed token and drops events for unknown ones
// later; /flags checks the token at once, so it is what catches a typo.
let flagsError;
if (!captureError) {
  await posthog.evaluateFlags(randomUUID());
  flagsError = errors.shift();
}
await posthog.shutdown();

const failure = captureError ?? flagsError;
if (failure) fail(await explain(failure, captureError ? 'send the test event' : 'load feature flags'));

if (standIn) {
  console.log(`✓ The local capture sink at ${host} received "${EVENT}" with token ${mask(apiKey)}.`);
  console.log(
    '  This is the stand-in from npm run posthog:inspect, not PostHog: nothing reaches your PostHog project.',
  );
  console.log('  Set POSTHOG_HOST to your PostHog host (or remove it) to check the real thing.');
} else {
  console.log(`✓ PostHog is set up: sent "${EVENT}" to ${host} with token ${mask(apiKey)}.`);
  console.log('  It shows up in PostHog under Activity within a minute or so.');
}

/** Why this cannot be a project token, before anything is sent with it; null when it may be one. */
function problemWithToken(key) {
  if (/\s/.test(key)) return 'The project token contains spaces or line breaks. Paste only the token itself (phc_...).';
  if (/["'\\#]/.test(key)) {
    return 'The project token contains quotes, backslashes or "#", which a PostHog token never has. Paste only the token itself (phc_...).';
  }
  const secret = {
    phx_: 'a personal API key (phx_...), which can read and change your whole PostHog account and must not sit in a server',
    phs_: 'a project secret key (phs_...): it belongs in POSTHOG_SECRET_KEY, for local feature flag evaluation',
    sk_: 'a secret key (sk_...), not a PostHog project token',
  };
  const prefix = Object.keys(secret).find((start) => key.startsWith(start));
  if (prefix) {
    return `POSTHOG_PROJECT_TOKEN holds ${secret[prefix]}. Use the project token (phc_...) from PostHog: Settings > Project. Nothing was sent.`;
  }
  return null;
}

if (secretKey) {
  const result = await checkFlagDefinitions(secretKey);
  if (!result.ok) fail(result.message);
  console.log(`✓ Local evaluation works: the ${keyKind(secretKey)} loaded ${result.message}.`);
} else {
  console.log('  Feature flags are evaluated remotely (set POSTHOG_SECRET_KEY to evaluate them locally).');
}

// The same request posthog-node's poller makes. The SDK keeps quiet about a
// wrong host or a network error there, so ask directly to be able to say which.
async function checkFlagDefinitions(secretKey) {
  const url = `${host}/flags/definitions?token=${encodeURIComponent(apiKey)}&send_cohorts`;
  const kind = keyKind(secretKey);
  let res;
  try {
    res = await fetch(url, {
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secretKey}` },
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    // fetch rejects with an Error: a TypeError whose cause is the system error, or a TimeoutError.
    const { cause, message } = error;
    const reason = cause?.code ?? cause?.message ?? message ?? String(error);
    return { ok: false, message: `Could not reach ${host} to load feature flag definitions (${reason}).` };
  }
  const text = await res.text().catch(() => '');
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const detail = typeof body?.detail === 'string' ? `: ${body.detail}` : '';
  const where = 'Get the key in PostHog under Settings > Project > Feature flags (the secure API key, phs_...).';
  if (res.status === 200 && Array.isArray(body?.flags)) {
    const count = body.flags.length;
    const has = body.flags.some((flag) => flag?.key === 'detailed-analytics');
    return {
      ok: true,
      message: `${count} flag definition(s) from ${host}${has ? ', detailed-analytics among them' : '; there is no detailed-analytics flag yet, so it stays off'}`,
    };
  }
  if (res.status === 401) {
    return {
      ok: false,
      message: `PostHog rejected POSTHOG_SECRET_KEY (HTTP 401${detail}): the ${kind} is wrong or revoked, or belongs to another project than ${mask(apiKey)}. ${where}`,
    };
  }
  if (res.status === 403) {
    const why = secretKey.startsWith('phx_')
      ? 'this personal API key lacks the feature flag read scope (feature_flag:read) or access to this project'
      : 'this key may not read the flag definitions of this project';
    return { ok: false, message: `PostHog refused POSTHOG_SECRET_KEY (HTTP 403${detail}): ${why}. ${where}` };
  }
  if (res.status === 402) {
    return {
      ok: false,
      message: `PostHog answered HTTP 402${detail}: the feature flags quota of this organization is used up.`,
    };
  }
  if (res.status >= 500) {
    return {
      ok: false,
      message: `Could not load feature flag definitions: ${host} answered HTTP ${res.status}${detail}. Try again shortly.`,
    };
  }
  return {
    ok: false,
    message:
      `Could not load feature flag definitions: ${host} answered HTTP ${res.status}${detail}, not PostHog's answer. ` +
      'Is POSTHOG_HOST the PostHog host (https://us.i.posthog.com, https://eu.i.posthog.com), and does your proxy forward /flags/definitions?',
  };
}

// Which kind of key, never any of its characters beyond the public prefix.
function keyKind(key) {
  if (key.startsWith('phs_')) return 'feature flags secret key (phs_...)';
  if (key.startsWith('phx_')) return 'personal API key (phx_...)';
  return 'secret key';
}

async function explain(error, action) {
  const status = typeof error?.status === 'number' ? error.status : undefined;
  if (status === 401 || status === 403) {
    const keyHint = apiKey.startsWith('phc_')
      ? 'Check it is the project token of the project you mean (PostHog: Settings > Project).'
      : 'Project tokens start with phc_; personal and secret API keys (phx_, phs_) do not belong here.';
    return `PostHog at ${host} rejected the token ${mask(apiKey)} (HTTP ${status}${await detailOf(error)}). ${keyHint}`;
  }
  if (status !== undefined && status >= 500) {
    return `Could not ${action}: ${host} answered HTTP ${status}${await detailOf(error)}. PostHog may be having trouble; try again shortly.`;
  }
  if (status !== undefined) {
    return `Could not ${action}: ${host} answered HTTP ${status}${await detailOf(error)}. Is POSTHOG_HOST the PostHog ingestion host (https://us.i.posthog.com, https://eu.i.posthog.com or your proxy)?`;
  }
  const cause = error?.error ?? error?.cause ?? error;
  const reason = cause?.cause?.code ?? cause?.cause?.message ?? cause?.message ?? String(cause);
  return `Could not reach PostHog at ${host} to ${action} (${reason}). Check POSTHOG_HOST and your network connection.`;
}

async function detailOf(error) {
  try {
    const body = JSON.parse(await error.text);
    return body?.detail ? `: ${body.detail}` : '';
  } catch {
    return '';
  }
}

function mask(key) {
  return key.length > 12 ? `${key.slice(0, 8)}…${key.slice(-4)}` : `${key.slice(0, 4)}…`;
}
