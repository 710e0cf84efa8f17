// The edge's InferenceRouter: a manifest ref → the ready model version it routes to, in its
// placement (CPU worker threads in this process, or the model-host). No I/O, no loading here.
import type { InferenceClient, InferenceRouter } from './contracts.ts';
import type { ModelManifest, ModelRef } from '../registry/manifest.ts';
import type { InferOptions, ReadyModel } from '../model-host/engine/types.ts';
import type { NamedTensors } from '../wit/types.ts';
import type { EdgeMetrics } from './metrics.ts';
import { EdgennError, toEdgennError } from '../wit/errors.ts';

export const DEFAULT_CPU_MAX_BYTES = 64 * 1024 * 1024;

export type Target = 'cpu' | 'model-host';

/** What the router needs from the CPU ModelManager: a ready model, synchronously, or a typed throw. */
export interface CpuModelSource {
  get(ref: ModelRef): ReadyModel;
}

export interface RouteEntry {
  readonly manifest: ModelManifest;
  readonly target: Target;
}

export interface PlacementRouter extends InferenceRouter {
  /** Where a model runs: `cpu`, or `auto` no larger than the threshold → CPU; else the model-host. */
  targetOf(manifest: ModelManifest): Target;
  /** Points `ref` at a version that is already ready (the lifecycle's job); one atomic switch. */
  set(ref: string, manifest: ModelManifest): void;
  delete(ref: string): void;
  entry(ref: string): RouteEntry | undefined;
  refs(): string[];
  /** Resolves once no request is running on that version (after a switch, to drain it). */
  idle(name: string, version: string): Promise<void>;
}

export interface PlacementRouterOptions {
  cpu?: CpuModelSource;
  /** The model-host (or any KServe v2 server); a function because it may start after the router. */
  modelHost?: () => InferenceClient | undefined;
  cpuMaxBytes?: number;
  metrics?: EdgeMetrics;
}

const concrete = (name: string, version: string) => `${name}@${version}`;

export function createPlacementRouter(opts: PlacementRouterOptions): PlacementRouter {
  const cpuMaxBytes = opts.cpuMaxBytes ?? DEFAULT_CPU_MAX_BYTES;
  // Replaced whole on every change, so a request sees one consistent table.
  let table: ReadonlyMap<string, RouteEntry> = new Map();
  const inflight = new Map<string, number>();
  const waiters = new Map<string, (() => void)[]>();

  function entryOrThrow(ref: string): RouteEntry {
    const e = table.get(ref);
    if (!e) {
      throw new EdgennError('unavailable', `model '${ref}' is not ready on this edge yet (it is being loaded or failed to load); retry shortly`, {
        retryAfter: 1,
      });
    }
    return e;
  }

  function done(key: string): void {
    const n = (inflight.get(key) ?? 1) - 1;
    if (n > 0) {
      inflight.set(key, n);
      return;
    }
    inflight.delete(key);
    for (const w of waiters.get(key) ?? []) w();
    waiters.delete(key);
  }

  async function runOn(e: RouteEntry, inputs: NamedTensors, o: InferOptions & { requestId?: string }): Promise<NamedTensors> {
    const { name, version } = e.manifest;
    if (e.target === 'cpu') {
      if (!opts.cpu) throw new EdgennError('unavailable', 'the CPU worker pool is not running on this edge', { retryAfter: 1 });
      return opts.cpu.get({ name, version }).infer(inputs, o);
    }
    const host = opts.modelHost?.();
    if (!host) throw new EdgennError('unavailable', `the model-host that serves '${name}' is not running; retry shortly`, { retryAfter: 1 });
    try {
      return await host.infer(name, version, inputs, o);
    } catch (err) {
      // The edge routes here only what it loaded; a model-host that does not know it has restarted
      // and is being refilled by the lifecycle: a moment's wait, not a missing model.
      if (err instanceof EdgennError && err.code === 'not-found') {
        throw new EdgennError('unavailable', `model '${name}@${version}' is being loaded again on the model-host (it restarted); retry shortly`, { retryAfter: 1, cause: err });
      }
      throw err;
    }
  }

  return {
    targetOf(manifest) {
      if (manifest.placement === 'cpu') return 'cpu';
      if (manifest.placement === 'auto' && manifest.size <= cpuMaxBytes) return 'cpu';
      return 'model-host';
    },

    set(ref, manifest) {
      const next = new Map(table);
      next.set(ref, { manifest, target: this.targetOf(manifest) });
      table = next;
    },

    delete(ref) {
      if (!table.has(ref)) return;
      const next = new Map(table);
      next.delete(ref);
      table = next;
    },

    entry: (ref) => table.get(ref),
    refs: () => [...table.keys()],

    idle(name, version) {
      const key = concrete(name, version);
      if (!inflight.get(key)) return Promise.resolve();
      return new Promise((resolve) => waiters.set(key, [...(waiters.get(key) ?? []), resolve]));
    },

    describe(ref) {
      return entryOrThrow(ref).manifest;
    },

    async run(ref, inputs, o) {
      const e = entryOrThrow(ref);
      const key = concrete(e.manifest.name, e.manifest.version);
      inflight.set(key, (inflight.get(key) ?? 0) + 1);
      try {
        const out = await runOn(e, inputs, o);
        opts.metrics?.inference(e.manifest.name, e.manifest.version, e.target, 'ok');
        return out;
      } catch (err) {
        opts.metrics?.inference(e.manifest.name, e.manifest.version, e.target, toEdgennError(err).code);
        throw err;
      } finally {
        done(key);
      }
    },
  };
}
