// Crash-safe file writes for the registry: temp file + fsync + rename + fsync of the directory,
// so a reader (or a restart after a kill) sees the old file or the new one, never a partial one.
import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `path` atomically. The temp file goes in `tmpDir` (same filesystem) or beside `path`. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number; tmpDir?: string } = {}): Promise<void> {
  const tmp = options.tmpDir ? join(options.tmpDir, `write-${randomUUID()}`) : join(dirname(path), `${basename(path)}.tmp-${randomUUID()}`);
  const fh = await open(tmp, 'wx', options.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncPath(dirname(path));
}
