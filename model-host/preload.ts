// Preload before ready: the refs named on the command line plus the registry's models marked
// `preload`, each resolved, fetched, loaded, warmed and pinned, with a progress line per step.
import { EdgennError, toEdgennError } from '../wit/errors.ts';
import { parseRef, type ModelManifest } from '../registry/manifest.ts';
import type { RegistryClient } from '../registry/client-types.ts';
import type { HostModelManager } from './app.ts';

/** The flag's refs, then the registry's models whose `latest` version is marked `preload` (as bare names). */
export async function resolvePreloadList(registry: Pick<RegistryClient, 'list'>, flagRefs: readonly string[]): Promise<string[]> {
  const refs = [...flagRefs];
  for (const ref of refs) {
    if (!parseRef(ref)) throw new EdgennError('invalid-argument', `--preload: '${ref}' is not a model reference; use name, name@version or name@alias`);
  }
  for (const record of await registry.list()) {
    const latest = record.aliases.latest;
    const manifest = record.versions.find((v) => v.version === latest);
    if (manifest?.preload && !refs.some((r) => parseRef(r)?.name === record.name)) refs.push(record.name);
  }
  return refs;
}

export interface PreloadOptions {
  manager: HostModelManager;
  registry: Pick<RegistryClient, 'resolve'>;
  refs: readonly string[];
  log: (line: string) => void;
}

/** Loads every ref in order (one at a time: loads compete for memory and cores), pinned, and routes its name or alias to it. */
export async function preloadAll(opts: PreloadOptions): Promise<ModelManifest[]> {
  const out: ModelManifest[] = [];
  const n = opts.refs.length;
  if (n === 0) opts.log('preload: nothing to preload (no --preload and no registry model marked preload)');
  for (const [i, ref] of opts.refs.entries()) {
    const step = `preload ${i + 1}/${n}: ${ref}`;
    opts.log(`${step}: resolving in the registry`);
    let manifest: ModelManifest;
    try {
      manifest = await opts.registry.resolve(ref);
    } catch (err) {
      const e = toEdgennError(err);
      throw new EdgennError(e.code, `${step}: ${e.message}`, { cause: e });
    }
    opts.log(`${step}: ${manifest.name}@${manifest.version} (${(manifest.size / 1048576).toFixed(1)} MiB, ${manifest.digest.slice(0, 19)}…): fetching, loading and warming`);
    const started = Date.now();
    try {
      await opts.manager.ensure(manifest, { pin: true });
    } catch (err) {
      const e = toEdgennError(err);
      throw new EdgennError(e.code, `${step}: ${manifest.name}@${manifest.version} could not be loaded: ${e.message}`, { cause: e });
    }
    const parsed = parseRef(ref)!;
    if (!parsed.version) await opts.manager.route(parsed.name, parsed.alias ?? '', manifest.version);
    opts.log(`${step}: ${manifest.name}@${manifest.version} ready and pinned (${Date.now() - started} ms)`);
    out.push(manifest);
  }
  return out;
}
