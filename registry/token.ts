// The one API token: from EDGENN_TOKEN, or generated once into <data>/token (mode 0600), and
// compared in constant time. The token itself is never logged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.ts';
import { join } from 'node:path';

export interface LoadedToken {
  token: string;
  /** true when this call generated the token (the caller prints it once). */
  created: boolean;
  /** Where it lives, when it came from the data directory. */
  path?: string;
}

export function tokenPath(dataDir: string): string {
  return join(dataDir, 'token');
}

export async function loadOrCreateToken(dataDir: string, envToken?: string): Promise<LoadedToken> {
  if (envToken !== undefined && envToken.trim() !== '') return { token: envToken.trim(), created: false };
  const path = tokenPath(dataDir);
  const existing = await readTokenFile(dataDir);
  if (existing) return { token: existing, created: false, path };
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  await writeFileAtomic(path, `${token}\n`, { mode: 0o600 });
  return { token, created: true, path };
}

/** The token stored in <data>/token, or undefined when there is none (the CLI's fallback). */
export async function readTokenFile(dataDir: string): Promise<string | undefined> {
  try {
    const text = (await readFile(tokenPath(dataDir), 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Checks an `Authorization` header against the token. Both sides are hashed first so the
 * comparison is over equal-length digests and takes the same time whatever the input.
 */
export function checkBearer(header: string | undefined | null, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const given = createHash('sha256').update(match?.[1] ?? '').digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want) && match !== null && token !== '';
}
