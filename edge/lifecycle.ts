// The lifecycle controller (never on a request path): makes the models deployments declare ready
// and warm in their placement, points the router at them, follows the registry's change feed to
// move aliases (load + warm new → switch → drain old → unload), and unloads what nobody needs.
import type { InferenceClient } from './contracts.ts';
import type { RegistryClient } from '../registry/client-types.ts';
import type { ModelManifest } from '../registry/manifest.ts';
import { parseRef } from '../registry/manifest.ts';
import type { RegistryEvent } from '../registry/store.ts';
import type { ModelStatus } from '../model-host/engine/types.ts';
import type { CpuModelSource, PlacementRouter, Target } from './placement.ts';
import type { Log } from './log.ts';
import { EdgennError, toEdgennError } from '../wit/errors.ts';

/** What the lifecycle needs from the CPU ModelManager (model-host/engine). */
export interface CpuModelManager extends CpuModelSource {
  /** Fetches, loads and warms a version; resolves once it is ready. */
  ensure(manifest: ModelManifest, opts: { pin: boolean }): Promise<unknown>;
  /** Drains a version's in-flight requests, then closes it. */
  unload(name: string, version: string): Promise<void>;
  status(): ModelStatus[];
}

export interface LifecycleOptions {
  registry: RegistryClient;
  router: PlacementRouter;
  cpu?: CpuModelManager;
  modelHost?: () => InferenceClient | undefined;
  /** Resolves once the model-host answers ready (it may still be starting at boot); rejects if it cannot start. */
  modelHostReady?: () => Promise<void>;
  /**
   * Aborted when the edge shuts down: every wait inside a load (the model-host starting, a
   * repository load, a CPU load) gives up at once with `unavailable`, so shutdown never waits on them.
   */
  signal?: AbortSignal;
  log: Log;
}

export interface Lifecycle {
  /**
   * Makes every ref ready in its placement and routes it, then records `owner` (a deployment
   * version) as holding them. Throws, naming the ref, when one cannot become ready; what this call
   * loaded and nobody else holds is let go again.
   */
  acquire(owner: string, refs: string[]): Promise<Map<string, ModelManifest>>;
  /** Drops `owner`'s hold; models no owner needs any more drain and unload. */
  release(owner: string): Promise<void>;
  /** Why the refs are not all ready in their placement (empty when they are). May ask the model-host. */
  notReady(refs: string[]): Promise<string[]>;
  /** Follows the registry's change feed until `signal` aborts. */
  follow(signal: AbortSignal): Promise<void>;
  /** Resolves when the work queued so far (loads, swaps, unloads) has finished. */
  settled(): Promise<void>;
  /** Loads every routed model-host model again (after the model-host restarted, empty). */
  reloadModelHost(): Promise<void>;
}

const key = (m: { name: string; version: string }) => `${m.name}@${m.version}`;

/** How long a load waits for a model-host that is still starting (one stuck child must not hold the queue). */
const MODEL_HOST_WAIT_MS = 60_000;
/** How long an unload waits for the requests still running on the version it retires. */
const DRAIN_WAIT_MS = 60_000;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EdgennError('unavailable', `${message} (waited ${ms} ms)`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** `p`, or a rejection as soon as `signal` aborts (the work behind `p` is left to finish or fail on its own). */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  const stopped = () => new EdgennError('unavailable', 'the edge is shutting down; the model was not made ready', { retryAfter: 1 });
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(stopped());
  }
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(stopped());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

export function createLifecycle(opts: LifecycleOptions): Lifecycle {
  const { registry, router, log, signal } = opts;
  const holds = new Map<string, Set<string>>();
  // One change at a time: deploys, feed events and unloads never interleave halfway.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(job: () => Promise<T>): Promise<T> {
    const run = queue.then(job, job);
    queue = run.catch(() => undefined);
    return run;
  }

  const heldRefs = () => new Set([...holds.values()].flatMap((s) => [...s]));

  async function load(manifest: ModelManifest, target: Target): Promise<void> {
    const started = Date.now();
    // Paired with 'model ready': a load that never ends shows up in the log as one without the other.
    log('info', 'loading model', { model: key(manifest), placement: target });
    if (target === 'cpu') {
      if (!opts.cpu) throw new EdgennError('unavailable', 'the CPU worker pool is not running on this edge');
      await unlessAborted(opts.cpu.ensure(manifest, { pin: true }), signal);
    } else {
      if (opts.modelHostReady) await unlessAborted(withTimeout(opts.modelHostReady(), MODEL_HOST_WAIT_MS, 'the model-host did not become ready; see its log lines'), signal);
      const host = opts.modelHost?.();
      if (!host) {
        throw new EdgennError('unavailable', `model '${key(manifest)}' needs the model-host (placement ${manifest.placement}, ${manifest.size} bytes) but none is running`);
      }
      await unlessAborted(host.load(manifest.name, manifest.version), signal);
    }
    log('info', 'model ready', { model: key(manifest), placement: target, ms: Date.now() - started });
  }

  /** Unloads versions no routed ref points at any more, once their in-flight requests finish. */
  async function collect(candidates: RouteLike[]): Promise<void> {
    const live = new Set([...router.refs()].map((r) => router.entry(r)).filter((e) => e !== undefined).map((e) => key(e.manifest)));
    const seen = new Set<string>();
    for (const c of candidates) {
      const k = key(c.manifest);
      if (live.has(k) || seen.has(k)) continue;
      seen.add(k);
      // Bounded: a request that never settles must not hold the lifecycle queue (the unload drains too).
      await unlessAborted(withTimeout(router.idle(c.manifest.name, c.manifest.version), DRAIN_WAIT_MS, 'drain'), signal).catch(() => undefined);
      try {
        if (c.target === 'cpu') await unlessAborted(opts.cpu?.unload(c.manifest.name, c.manifest.version) ?? Promise.resolve(), signal);
        else await unlessAborted(opts.modelHost?.()?.unload(c.manifest.name, c.manifest.version) ?? Promise.resolve(), signal);
        log('info', 'model unloaded', { model: k, placement: c.target });
      } catch (err) {
        log('warn', 'model unload failed', { model: k, error: toEdgennError(err).message });
      }
    }
  }

  type RouteLike = { manifest: ModelManifest; target: Target };

  async function resolveAndLoad(ref: string): Promise<ModelManifest> {
    let manifest: ModelManifest;
    try {
      manifest = await registry.resolve(ref);
    } catch (err) {
      const e = toEdgennError(err);
      throw new EdgennError(e.code, `model '${ref}': ${e.message}`, { cause: err });
    }
    try {
      await load(manifest, router.targetOf(manifest));
    } catch (err) {
      const e = toEdgennError(err);
      throw new EdgennError(e.code, `model '${ref}' (${key(manifest)}) could not become ready: ${e.message}`, { cause: err });
    }
    return manifest;
  }

  /** The registry moved what `ref` means: load the new version, switch, drain and unload the old. */
  async function move(ref: string): Promise<void> {
    const old = router.entry(ref);
    if (!old) return;
    let next: ModelManifest;
    try {
      next = await registry.resolve(ref);
    } catch (err) {
      log('warn', 'model ref no longer resolves; keeping the loaded version', { ref, error: toEdgennError(err).message });
      return;
    }
    if (next.version === old.manifest.version && next.digest === old.manifest.digest) return;
    try {
      await load(next, router.targetOf(next));
    } catch (err) {
      log('error', 'new version could not become ready; keeping the old one', { ref, model: key(next), error: toEdgennError(err).message });
      return;
    }
    if (!heldRefs().has(ref)) {
      await collect([{ manifest: next, target: router.targetOf(next) }]);
      return;
    }
    router.set(ref, next);
    log('info', 'model ref moved', { ref, from: old.manifest.version, to: next.version });
    await collect([old]);
  }

  function affected(event: RegistryEvent): string[] {
    return router.refs().filter((ref) => {
      const r = parseRef(ref);
      if (!r || r.name !== event.name || r.version) return false;
      if (event.type === 'alias-moved') return r.alias === event.alias || (event.alias === 'latest' && r.alias === undefined);
      if (event.type === 'published') return r.alias === undefined || r.alias === 'latest';
      return false;
    });
  }

  return {
    acquire(owner, refs) {
      return serial(async () => {
        const loaded: RouteLike[] = [];
        const out = new Map<string, ModelManifest>();
        try {
          for (const ref of refs) {
            const existing = router.entry(ref);
            if (existing) {
              out.set(ref, existing.manifest);
              continue;
            }
            const manifest = await resolveAndLoad(ref);
            router.set(ref, manifest);
            loaded.push({ manifest, target: router.targetOf(manifest) });
            out.set(ref, manifest);
          }
        } catch (err) {
          const held = heldRefs();
          for (const ref of refs) if (!held.has(ref)) router.delete(ref);
          await collect(loaded);
          throw err;
        }
        holds.set(owner, new Set(refs));
        return out;
      });
    },

    release(owner) {
      return serial(async () => {
        const mine = holds.get(owner);
        if (!mine) return;
        holds.delete(owner);
        const held = heldRefs();
        const dropped: RouteLike[] = [];
        for (const ref of mine) {
          if (held.has(ref)) continue;
          const e = router.entry(ref);
          router.delete(ref);
          if (e) dropped.push(e);
        }
        await collect(dropped);
      });
    },

    async notReady(refs) {
      const problems: string[] = [];
      let hostModels: ModelStatus[] | undefined;
      for (const ref of refs) {
        const e = router.entry(ref);
        if (!e) {
          problems.push(`model '${ref}' is not loaded`);
          continue;
        }
        if (e.target === 'cpu') {
          try {
            if (!opts.cpu) throw new EdgennError('unavailable', 'the CPU worker pool is not running');
            opts.cpu.get({ name: e.manifest.name, version: e.manifest.version });
          } catch (err) {
            problems.push(`model '${ref}' (${key(e.manifest)}) on the CPU pool: ${toEdgennError(err).message}`);
          }
          continue;
        }
        const host = opts.modelHost?.();
        hostModels ??= await host?.models().catch(() => []) ?? [];
        const st = hostModels.find((m) => m.name === e.manifest.name && m.version === e.manifest.version);
        if (st?.state !== 'ready') problems.push(`model '${ref}' (${key(e.manifest)}) on the model-host is ${st?.state ?? 'not loaded'}`);
      }
      return problems;
    },

    async follow(signal) {
      let lastEventId: number | undefined;
      while (!signal.aborted) {
        try {
          for await (const event of registry.events(lastEventId === undefined ? { signal } : { lastEventId, signal })) {
            lastEventId = event.id;
            const refs = affected(event);
            if (refs.length === 0) continue;
            log('info', 'registry change', { event: event.type, model: event.name, version: event.version, alias: event.alias, refs });
            for (const ref of refs) await serial(() => move(ref));
          }
        } catch (err) {
          if (signal.aborted) return;
          log('warn', 'registry change feed interrupted; reconnecting', { error: toEdgennError(err).message });
        }
        if (signal.aborted) return;
        // Bounded reconnect pace, whether the feed failed or simply ended; cut short by the abort.
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, 1000);
          function done() {
            clearTimeout(t);
            signal.removeEventListener('abort', done);
            resolve();
          }
          signal.addEventListener('abort', done, { once: true });
        });
      }
    },

    settled() {
      return serial(async () => undefined);
    },

    reloadModelHost() {
      return serial(async () => {
        const seen = new Set<string>();
        for (const ref of router.refs()) {
          const e = router.entry(ref);
          if (!e || e.target !== 'model-host' || seen.has(key(e.manifest))) continue;
          seen.add(key(e.manifest));
          try {
            await load(e.manifest, 'model-host');
          } catch (err) {
            log('error', 'reloading a model on the restarted model-host failed', { model: key(e.manifest), error: toEdgennError(err).message });
          }
        }
      });
    },
  };
}
