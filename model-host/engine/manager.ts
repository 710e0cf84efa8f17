// The model lifecycle, written once for both placements: fetch → load → warm → ready, a byte-budget
// LRU with pinning, routes (aliases) for hot swap with draining, and a synchronous get() for requests.
import { LRUCache } from 'lru-cache';
import { EdgennError, toEdgennError } from '../../wit/errors.ts';
import type { NamedTensors } from '../../wit/types.ts';
import type { ModelManifest, ModelRef } from '../../registry/manifest.ts';
import { batchingOptions, createBatcher, warmupBatchSizes, type Batcher } from './batcher.ts';
import type { Backend, BatchingOptions, BlobSource, InferOptions, LoadedModel, ModelState, ModelStatus, ReadyModel } from './types.ts';
import { validateInputs, validateOutputs } from './validate.ts';

/** What the lifecycle reports, for metrics (the model-host feeds Prometheus from these). */
export type EngineEvent =
  | { type: 'state'; name: string; version: string; state: ModelState }
  | { type: 'loaded'; name: string; version: string; provider: 'cuda' | 'cpu'; loadMs: number; warmupMs: number; residentBytes: number }
  | { type: 'load-failed'; name: string; version: string; code: string; message: string }
  | { type: 'evicted'; name: string; version: string; residentBytes: number }
  | { type: 'batch'; name: string; version: string; requests: number; rows: number }
  | { type: 'queue'; name: string; version: string; depth: number };

export interface ModelManagerOptions {
  backend: Backend;
  blobs: BlobSource;
  /** Bytes the resident models may hold together, as measured after warm-up. */
  memoryBudgetBytes: number;
  /** Defaults: DEFAULT_BATCHING (maxBatchSize 8, maxQueueDelayUs 0, maxQueue 256). */
  batching?: Partial<BatchingOptions>;
  log?: (line: string) => void;
  onEvent?: (event: EngineEvent) => void;
}

export interface EnsureOptions {
  /** Pinned (preloaded) models are never evicted by the LRU. */
  pin?: boolean;
  /** Per-model batching, over the manager's defaults. */
  batching?: Partial<BatchingOptions>;
}

export interface RouteEntry {
  name: string;
  /** An alias, a version, or '' for the bare name. */
  selector: string;
  version: string;
}

export interface ModelManager {
  /** Lifecycle path: resolves once `manifest`'s version is ready (sharing a load in progress); rejects with the load error. */
  ensure(manifest: ModelManifest, opts?: EnsureOptions): Promise<ModelStatus>;
  /** Request path: a ready model now, or throws `not-found` / `unavailable` (with retryAfter). No I/O. */
  get(ref: ModelRef): ReadyModel;
  /**
   * Points `name@selector` ('' = the bare name) at a ready version. The version it pointed at
   * before drains and unloads when no route is left on it; the promise resolves once it has.
   */
  route(name: string, selector: string, version: string): Promise<void>;
  /** Removes `name@selector`; its version drains and unloads when no route is left on it. */
  unroute(name: string, selector: string): Promise<void>;
  routes(): RouteEntry[];
  /** Drains in-flight requests, then closes the session. */
  unload(name: string, version: string): Promise<void>;
  status(): ModelStatus[];
  close(): Promise<void>;
}

interface Entry {
  key: string;
  manifest: ModelManifest;
  state: ModelState;
  pinned: boolean;
  batching: BatchingOptions;
  error?: { code: string; message: string };
  loaded?: LoadedModel;
  batcher?: Batcher;
  ready?: ReadyModel;
  loading?: Promise<void>;
  unloading?: Promise<void>;
  leaving?: boolean;
}

const keyOf = (name: string, version: string) => `${name}@${version}`;
const mb = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

export function createModelManager(options: ModelManagerOptions): ModelManager {
  const { backend, blobs, memoryBudgetBytes: budget } = options;
  if (!Number.isFinite(budget) || budget <= 0) throw new EdgennError('invalid-argument', `memoryBudgetBytes must be a positive number of bytes, got ${String(budget)}`);
  const defaults = batchingOptions(options.batching);
  const log = options.log ?? (() => {});
  const emit = options.onEvent ?? (() => {});
  const entries = new Map<string, Entry>();
  const routeTable = new Map<string, Map<string, string>>();
  let closed = false;
  // One backend.load at a time: the resident bytes each load measures are then its own.
  let loadChain: Promise<unknown> = Promise.resolve();

  const lru = new LRUCache<string, Entry>({
    maxSize: budget,
    sizeCalculation: (e) => Math.max(1, e.loaded?.residentBytes ?? 1),
    // Only a safety net: admit() evicts (unpinned only) before the cache would have to.
    dispose: (e, _key, reason) => {
      if ((reason === 'evict' || reason === 'delete') && !e.leaving) void retire(e, 'evicted');
    },
  });

  function setState(e: Entry, state: ModelState): void {
    e.state = state;
    emit({ type: 'state', name: e.manifest.name, version: e.manifest.version, state });
  }

  function statusOf(e: Entry): ModelStatus {
    const s: ModelStatus = { name: e.manifest.name, version: e.manifest.version, digest: e.manifest.digest, state: e.state, pinned: e.pinned };
    if (e.loaded) Object.assign(s, { provider: e.loaded.provider, residentBytes: e.loaded.residentBytes, loadMs: e.loaded.loadMs, warmupMs: e.loaded.warmupMs });
    if (e.error) s.error = { ...e.error };
    return s;
  }

  function pinnedBytes(except?: Entry): number {
    let n = 0;
    for (const e of lru.values()) if (e.pinned && e !== except) n += e.loaded?.residentBytes ?? 0;
    return n;
  }

  function tooLarge(m: ModelManifest, bytes: number, what: string): EdgennError {
    const pinned = pinnedBytes();
    return new EdgennError(
      'too-large',
      `model ${keyOf(m.name, m.version)} ${what} ${bytes} bytes (${mb(bytes)}), which does not fit the memory budget of ${budget} bytes (${mb(budget)})` +
        (pinned ? `, ${mb(pinned)} of which pinned models hold` : '') +
        '; raise the memory budget or unload other pinned models',
    );
  }

  /** Makes room for `bytes` by evicting least-recently-used unpinned models; false when even that cannot. */
  function admit(e: Entry, bytes: number): boolean {
    if (pinnedBytes(e) + bytes > budget) return false;
    while (lru.calculatedSize + bytes > budget) {
      let victim: Entry | undefined;
      for (const k of lru.rkeys()) {
        const c = lru.peek(k)!;
        if (!c.pinned && c !== e) {
          victim = c;
          break;
        }
      }
      if (!victim) return false;
      log(`engine: evicting ${victim.key} (${mb(victim.loaded?.residentBytes ?? 0)}, least recently used) to make room for ${e.key}`);
      emit({ type: 'evicted', name: victim.manifest.name, version: victim.manifest.version, residentBytes: victim.loaded?.residentBytes ?? 0 });
      void retire(victim, 'evicted');
    }
    return true;
  }

  async function load(e: Entry): Promise<void> {
    const m = e.manifest;
    try {
      if (m.size > budget - pinnedBytes()) throw tooLarge(m, m.size, 'is');
      log(`engine: loading ${e.key} (${mb(m.size)}, ${m.digest.slice(0, 19)}…)`);
      const path = await blobs.fetch(m);
      if (closed) throw new EdgennError('unavailable', 'the model manager is closing');
      const sizes = warmupBatchSizes(m.signature, e.batching);
      const run = loadChain.then(() => backend.load(m, path, sizes, { onWarming: () => setState(e, 'warming') }));
      loadChain = run.catch(() => {});
      const loaded = await run;
      if (closed || !admit(e, loaded.residentBytes)) {
        await loaded.close().catch(() => {});
        throw closed ? new EdgennError('unavailable', 'the model manager is closing') : tooLarge(m, loaded.residentBytes, 'holds after warm-up');
      }
      e.loaded = loaded;
      e.batcher = createBatcher({
        signature: m.signature,
        run: (inputs, outputs) => loaded.run(inputs, outputs ? { outputs } : undefined),
        batching: e.batching,
        concurrency: loaded.concurrency ?? 1,
        label: e.key,
        onBatch: (requests, rows) => emit({ type: 'batch', name: m.name, version: m.version, requests, rows }),
        onQueue: (depth) => emit({ type: 'queue', name: m.name, version: m.version, depth }),
      });
      e.ready = readyModel(e, e.batcher, loaded.provider);
      lru.set(e.key, e);
      delete e.error;
      setState(e, 'ready');
      emit({ type: 'loaded', name: m.name, version: m.version, provider: loaded.provider, loadMs: loaded.loadMs, warmupMs: loaded.warmupMs, residentBytes: loaded.residentBytes });
      log(`engine: ${e.key} ready on ${loaded.provider} (load ${Math.round(loaded.loadMs)} ms, warm-up ${Math.round(loaded.warmupMs)} ms, ${mb(loaded.residentBytes)} resident)`);
    } catch (err) {
      const x = toEdgennError(err);
      e.error = { code: x.code, message: x.message };
      setState(e, 'failed');
      emit({ type: 'load-failed', name: m.name, version: m.version, code: x.code, message: x.message });
      log(`engine: ${e.key} failed to load: ${x.message}`);
      throw x;
    }
  }

  function readyModel(e: Entry, batcher: Batcher, provider: 'cuda' | 'cpu'): ReadyModel {
    return {
      manifest: e.manifest,
      provider,
      infer(inputs: NamedTensors, opts?: InferOptions) {
        try {
          validateInputs(e.manifest.signature, inputs);
          validateOutputs(e.manifest.signature, opts?.outputs);
        } catch (err) {
          return Promise.reject(err);
        }
        return batcher.submit(inputs, opts);
      },
    };
  }

  /** ready → draining → unloaded: in-flight and queued requests finish first. */
  function retire(e: Entry, why: 'evicted' | 'unloaded' | 'unrouted' | 'closing'): Promise<void> {
    if (e.unloading) return e.unloading;
    e.leaving = true; // so the LRU's dispose (below) does not retire it a second time
    if (lru.peek(e.key) === e) lru.delete(e.key);
    setState(e, 'draining');
    e.unloading = (async () => {
      await e.batcher?.drain();
      e.batcher?.close(new EdgennError('unavailable', `model ${e.key} was unloaded (${why}); retry to reach the version now serving`, { retryAfter: 1 }));
      await e.loaded?.close().catch((err: unknown) => log(`engine: closing ${e.key} failed: ${toEdgennError(err).message}`));
      setState(e, 'unloaded');
      log(`engine: ${e.key} unloaded (${why})`);
    })();
    return e.unloading;
  }

  function versionsOf(name: string): Entry[] {
    return [...entries.values()].filter((e) => e.manifest.name === name);
  }

  function isRouted(name: string, version: string): boolean {
    for (const v of routeTable.get(name)?.values() ?? []) if (v === version) return true;
    return false;
  }

  function retireIfUnrouted(name: string, version: string, why: string): Promise<void> {
    const old = entries.get(keyOf(name, version));
    if (isRouted(name, version) || !old || old.state !== 'ready') return Promise.resolve();
    log(`engine: ${why}; draining ${old.key}`);
    return retire(old, 'unrouted');
  }

  function resolve(ref: ModelRef): string | undefined {
    if (ref.version) return ref.version;
    const sel = ref.alias ?? '';
    const routed = routeTable.get(ref.name)?.get(sel);
    if (routed || sel) return routed;
    // A bare name nobody routed: the newest ready version (what Triton does for an unversioned request).
    const ready = versionsOf(ref.name).filter((e) => e.state === 'ready').map((e) => e.manifest.version);
    return ready.sort(compareSemver).at(-1);
  }

  return {
    async ensure(manifest, opts = {}) {
      if (closed) throw new EdgennError('unavailable', 'the model manager is closing');
      const key = keyOf(manifest.name, manifest.version);
      let e = entries.get(key);
      // A version that is draining comes back as a fresh load once its old session is closed.
      for (let i = 0; e?.state === 'draining' && e.unloading && i < 8; i++) {
        await e.unloading;
        e = entries.get(key);
      }
      if (e && e.manifest.digest !== manifest.digest && e.state !== 'unloaded' && e.state !== 'failed') {
        throw new EdgennError('conflict', `model ${key} is loaded with digest ${e.manifest.digest}, not ${manifest.digest}; versions are immutable, publish a new version`);
      }
      if (e && (e.state === 'ready' || e.loading)) {
        if (opts.pin) e.pinned = true;
        if (e.loading) await e.loading;
        return statusOf(e);
      }
      const fresh: Entry = { key, manifest, state: 'loading', pinned: Boolean(opts.pin), batching: batchingOptions({ ...defaults, ...opts.batching }) };
      entries.set(key, fresh);
      e = fresh;
      setState(e, 'loading');
      e.loading = load(e).finally(() => delete fresh.loading);
      await e.loading;
      return statusOf(e);
    },

    get(ref) {
      const version = resolve(ref);
      const e = version === undefined ? undefined : entries.get(keyOf(ref.name, version));
      const label = ref.version ? `${ref.name}@${ref.version}` : ref.alias ? `${ref.name}@${ref.alias}` : ref.name;
      if (!e) {
        if (versionsOf(ref.name).length === 0 || ref.version) {
          throw new EdgennError('not-found', `model ${label} is not loaded here; load it first (preload it, or declare it in the handler manifest)`);
        }
        const states = versionsOf(ref.name).map((v) => `${v.manifest.version} ${v.state === 'failed' ? `failed to load: ${v.error?.message ?? 'unknown error'}` : v.state}`);
        throw new EdgennError('unavailable', `model ${label} has no ready version (${states.join('; ')}); retry shortly`, { retryAfter: 1 });
      }
      if (e.state !== 'ready' || !e.ready) {
        const why = e.state === 'failed' ? `failed to load: ${e.error?.message ?? 'unknown error'}` : `is ${e.state}`;
        throw new EdgennError('unavailable', `model ${e.key} ${why}; retry shortly`, { retryAfter: e.state === 'failed' || e.state === 'unloaded' ? 5 : 1 });
      }
      lru.get(e.key); // marks it recently used
      return e.ready;
    },

    route(name, selector, version) {
      const e = entries.get(keyOf(name, version));
      if (!e || e.state !== 'ready') {
        throw new EdgennError('unavailable', `cannot point ${name}${selector ? `@${selector}` : ''} at ${keyOf(name, version)}: it is ${e?.state ?? 'not loaded'}; ensure() it first`, { retryAfter: 1 });
      }
      let table = routeTable.get(name);
      if (!table) routeTable.set(name, (table = new Map()));
      const previous = table.get(selector);
      table.set(selector, version);
      if (previous === undefined || previous === version) return Promise.resolve();
      return retireIfUnrouted(name, previous, `${name}${selector ? `@${selector}` : ''} moved to ${version}`);
    },

    unroute(name, selector) {
      const table = routeTable.get(name);
      const previous = table?.get(selector);
      if (!table || previous === undefined) return Promise.resolve();
      table.delete(selector);
      if (table.size === 0) routeTable.delete(name);
      return retireIfUnrouted(name, previous, `${name}${selector ? `@${selector}` : ''} removed`);
    },

    routes() {
      const out: RouteEntry[] = [];
      for (const [name, table] of routeTable) for (const [selector, version] of table) out.push({ name, selector, version });
      return out;
    },

    async unload(name, version) {
      const e = entries.get(keyOf(name, version));
      if (!e) throw new EdgennError('not-found', `model ${keyOf(name, version)} is not loaded here`);
      if (e.loading) await e.loading.catch(() => {});
      if (e.state === 'ready' || e.state === 'draining') await retire(e, 'unloaded');
    },

    status() {
      return [...entries.values()].map(statusOf);
    },

    async close() {
      closed = true;
      const all = [...entries.values()];
      await Promise.all(all.map((e) => e.loading?.catch(() => {})));
      await Promise.all(all.filter((e) => e.state === 'ready' || e.state === 'draining').map((e) => retire(e, 'closing')));
      await backend.close?.();
    },
  };
}

/** Semver order (numeric major.minor.patch; a pre-release sorts before its release). */
export function compareSemver(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.split('+')[0]!.split(/-(.*)/s);
    return { nums: core.split('.').map(Number), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if (x.nums[i] !== y.nums[i]) return (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}
