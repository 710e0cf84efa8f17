// The local blob cache behind BlobSource: model files by digest under one directory, reused when
// their sha256 verifies (once per process), otherwise fetched from the registry (temp + verify + rename).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { EdgennError } from '../../wit/errors.ts';
import type { ModelManifest } from '../../registry/manifest.ts';
import type { RegistryClient } from '../../registry/client-types.ts';
import type { BlobSource } from './types.ts';

export interface BlobCacheOptions {
  /** `<data>/cache` for the model-host, `<data>/cpu-cache` for the edge's CPU pool. */
  dir: string;
  registry: Pick<RegistryClient, 'fetchBlob' | 'url'>;
  log?: (line: string) => void;
}

export interface BlobCache extends BlobSource {
  /** Where a digest lives (or will live) in the cache. */
  pathOf(digest: string): string;
}

const DIGEST_RE = /^sha256:([0-9a-f]{64})$/;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}

export function createBlobCache(options: BlobCacheOptions): BlobCache {
  const { dir, registry } = options;
  const log = options.log ?? (() => {});
  // Verified once per process, then trusted: the cache directory is ours alone.
  const verified = new Set<string>();
  const inflight = new Map<string, Promise<string>>();

  function pathOf(digest: string): string {
    const m = DIGEST_RE.exec(digest);
    if (!m) throw new EdgennError('invalid-argument', `'${digest}' is not a sha256 digest (sha256:<64 hex>)`);
    return join(dir, 'sha256', m[1]!);
  }

  async function obtain(manifest: ModelManifest): Promise<string> {
    const { digest } = manifest;
    const path = pathOf(digest);
    const ref = `${manifest.name}@${manifest.version}`;
    if (verified.has(digest)) return path;
    const present = await stat(path).then((s) => s.isFile(), () => false);
    if (present) {
      if ((await sha256File(path)) === digest) {
        verified.add(digest);
        log(`blob-cache: ${ref} reused from cache (${digest.slice(0, 19)}…)`);
        return path;
      }
      log(`blob-cache: cached blob of ${ref} does not match ${digest}; fetching it again`);
      await unlink(path).catch(() => {});
    }
    await mkdir(join(dir, 'sha256'), { recursive: true });
    log(`blob-cache: fetching ${ref} (${manifest.size} bytes) from ${registry.url}`);
    let lastTenth = -1;
    await registry.fetchBlob(digest, path, (received, total) => {
      const tenth = total > 0 ? Math.floor((received / total) * 10) : 0;
      if (tenth > lastTenth) {
        lastTenth = tenth;
        log(`blob-cache: ${ref} ${Math.min(100, tenth * 10)}% (${received}/${total} bytes)`);
      }
    });
    verified.add(digest); // the client verified the sha256 before renaming into place
    return path;
  }

  return {
    pathOf,
    fetch(manifest) {
      let p = inflight.get(manifest.digest);
      if (!p) {
        p = obtain(manifest).finally(() => inflight.delete(manifest.digest));
        inflight.set(manifest.digest, p);
      }
      return p;
    },
  };
}
