// Types for check-node.js, which stays plain JavaScript so that any Node can
// run it (it must stop an unsupported Node before TypeScript is ever parsed).

/** Same ranges as "engines" in package.json. */
export declare const SUPPORTED_NODE: string;

/** Returns null when this Node is supported, else the line to print. */
export declare function checkNodeVersion(versions: { node?: string } | undefined): string | null;
