// Preloaded by every npm script (node --import ./scripts/check-node.js ...), so
// an unsupported Node stops with one line naming the versions that work,
// before any of the project's code (or a dependency) can fail on it with a
// syntax error or a missing API. Keep this file plain JavaScript that old
// Node versions can parse.

/** Same ranges as "engines" in package.json (a test keeps the two in step). */
export const SUPPORTED_NODE = '^22.22.0 || ^24.0.0 || >=26.0.0';

/**
 * Returns null when this Node is supported, else the line to print.
 * A pure function of process.versions, so it can be tested on any Node.
 */
export function checkNodeVersion(versions) {
  const [major, minor] = String(versions?.node ?? '').split('.').map(Number);
  const supported = major === 22 ? minor >= 22 : major === 24 || major >= 26;
  if (supported) return null;
  return (
    `This project needs Node.js 22.22 or newer on the 22 line, 24, or 26 and later; ` +
    `this is Node.js ${versions?.node ?? 'of an unknown version'}. ` +
    'Install a supported version (for example `nvm install`, which reads .nvmrc).'
  );
}

const problem = checkNodeVersion(process.versions);
if (problem) {
  console.error(problem);
  process.exit(1);
}
