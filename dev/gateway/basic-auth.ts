import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';

/** The user faasd creates for the gateway's basic auth. */
export const ADMIN_USER = 'admin';

/** The gateway's `/system/*` credentials and where the password lives. */
export interface Credentials {
  readonly user: string;
  readonly password: string;
  /** The file holding the password, or undefined when it came from the environment or an option. */
  readonly passwordFile: string | undefined;
}

/**
 * Picks the `/system/*` password: an explicit one, else `GATEWAY_PASSWORD`, else the one in
 * `<stateDir>/basic-auth-password` (faasd keeps it in `/var/lib/faasd/secrets/basic-auth-password`), generated
 * on first use with mode 0600. Whitespace around a stored password is trimmed, as the gateway does.
 */
export async function loadCredentials(stateDir: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  const given = explicit ?? env.GATEWAY_PASSWORD;
  if (given !== undefined && given !== '') return { user: ADMIN_USER, password: given, passwordFile: undefined };
  const passwordFile = path.join(stateDir, 'basic-auth-password');
  await mkdir(stateDir, { recursive: true });
  try {
    const stored = (await readFile(passwordFile, 'utf8')).trim();
    if (stored !== '') return { user: ADMIN_USER, password: stored, passwordFile };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  await writeFile(path.join(stateDir, 'basic-auth-user'), `${ADMIN_USER}\n`, { mode: 0o600 });
  return { user: ADMIN_USER, password, passwordFile };
}

/** True when the request's `Authorization: Basic …` matches (compared in constant time). */
export function hasValidCredentials(req: IncomingMessage, credentials: Credentials): boolean {
  const header = req.headers.authorization;
  if (header === undefined || !/^basic /i.test(header)) return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return false;
  return (
    safeEqual(decoded.slice(0, colon), credentials.user) && safeEqual(decoded.slice(colon + 1), credentials.password)
  );
}

function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
