import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: Buffer, salt: Buffer, keyLength: number) => Promise<Buffer>;
const KEY_LENGTH = 64;

/**
 * The bytes scrypt hashes. A string with a lone surrogate would be encoded with
 * U+FFFD in its place, so different passwords would share one hash: validation
 * refuses those with a 400, and this refuses them again rather than hash them.
 * NFKC makes one password typed differently (composed or not) the same bytes.
 */
function passwordBytes(password: unknown): Buffer {
  if (typeof password !== 'string' || !password.isWellFormed()) {
    throw new TypeError('A password must be a well-formed string');
  }
  return Buffer.from(password.normalize('NFKC'), 'utf8');
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(passwordBytes(password), salt, KEY_LENGTH);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

// A hash of a password nobody has, so that an unknown email costs the same
// scrypt work as a wrong password and response times don't reveal accounts.
const decoyHash = hashPassword(randomBytes(16).toString('hex'));

export async function verifyPassword(password: string, storedHash: string | undefined): Promise<boolean> {
  const [, salt, expected] = (storedHash ?? (await decoyHash)).split('$');
  const actual = await scryptAsync(passwordBytes(password), Buffer.from(salt, 'base64'), KEY_LENGTH);
  return timingSafeEqual(actual, Buffer.from(expected, 'base64')) && storedHash !== undefined;
}

/** 256 random bits; only its digest is stored, so a leaked store leaks no sessions. */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
