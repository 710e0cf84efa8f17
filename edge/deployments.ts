// The deploy pipeline and the route table: a new version goes live only once its workerd process
// started AND every declared model is ready in its placement; the table is one immutable object
// swapped at once; the old version drains, then stops. On any failure the old version keeps serving.
import type { DeploymentManifest, DeploymentSpec, WorkerInstance, WorkerRuntime, WorkerState } from './contracts.ts';
import type { DeploymentStore } from './deploy/store.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { PlacementRouter } from './placement.ts';
import type { Log } from './log.ts';
import { checkRouteConflicts, compareRoutes, compileRoute, routeMatches, type CompiledRoute } from './deploy/manifest.ts';
import { EdgennError, toEdgennError } from '../wit/errors.ts';

/** One deployment version that takes traffic. */
export interface Live {
  readonly spec: DeploymentSpec;
  readonly instance: WorkerInstance;
  readonly deployedAt: string;
  /** Requests whose response has not finished streaming. */
  inflight: number;
}

interface RouteTable {
  readonly routes: readonly CompiledRoute<Live>[];
  readonly byName: ReadonlyMap<string, Live>;
}

export interface DeploymentInfo {
  name: string;
  version: number;
  state: WorkerState | 'restoring';
  routes: DeploymentManifest['routes'];
  models: { ref: string; version?: string; placement?: string }[];
  limits: DeploymentManifest['limits'];
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Variable names only: values may be configuration a reader of the list should not see. */
  vars: string[];
  restarts: number;
  deployedAt?: string;
  /** Why a deployment restored at boot is not serving yet. */
  error?: string;
}

export interface Deployments {
  /** The live version whose route matches, from the table in force when called. */
  match(hostname: string, path: string): Live | undefined;
  /** A deployment that owns the route but is not serving yet (its restore is being retried), with why. */
  waiting(hostname: string, path: string): { name: string; error: string } | undefined;
  /** Counts a request against a version, so a drain waits for it; call the returned function once it ends. */
  enter(live: Live): () => void;
  deploy(manifest: DeploymentManifest, module: string): Promise<DeploymentInfo>;
  rollback(name: string): Promise<DeploymentInfo>;
  undeploy(name: string): Promise<void>;
  list(): DeploymentInfo[];
  get(name: string): DeploymentInfo;
  /** Brings back the persisted deployments (boot): workers started, models ready, then routed. */
  restore(): Promise<void>;
  /** What keeps the edge from being ready (empty when ready). */
  notReady(): Promise<string[]>;
  live(): Iterable<Live>;
  close(): Promise<void>;
}

export interface DeploymentsOptions {
  store: DeploymentStore;
  runtime: WorkerRuntime;
  lifecycle: Lifecycle;
  router: PlacementRouter;
  log: Log;
  /** Pause between attempts to bring back a deployment whose restore failed (default 5000). */
  restoreRetryMs?: number;
  /** How long close() waits for a deploy or restore under way (default 5000). */
  closeWaitMs?: number;
}

const owner = (spec: DeploymentSpec) => `${spec.manifest.name}@${spec.version}`;

function buildTable(lives: Iterable<Live>): RouteTable {
  const byName = new Map<string, Live>();
  const routes: CompiledRoute<Live>[] = [];
  for (const live of lives) {
    byName.set(live.spec.manifest.name, live);
    for (const r of live.spec.manifest.routes) routes.push(compileRoute(r, live));
  }
  routes.sort(compareRoutes);
  return Object.freeze({ routes: Object.freeze(routes), byName });
}

export function createDeployments(opts: DeploymentsOptions): Deployments {
  const { store, runtime, lifecycle, router, log } = opts;
  let table = buildTable([]);
  let restored = false;
  let closed = false;
  const pendingRestore = new Map<string, { spec: DeploymentSpec; error: string }>();
  const drains = new Set<Promise<void>>();
  const drainWaiters = new Map<Live, () => void>();
  let retryTimer: NodeJS.Timeout | undefined;

  // Admin writes one at a time: route conflicts and the version history stay consistent.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(job: () => Promise<T>): Promise<T> {
    const run = queue.then(job, job);
    queue = run.catch(() => undefined);
    return run;
  }

  function swap(mutate: (m: Map<string, Live>) => void): void {
    const next = new Map(table.byName);
    mutate(next);
    table = buildTable(next.values());
  }

  function info(spec: DeploymentSpec, live?: Live, error?: string): DeploymentInfo {
    const m = spec.manifest;
    return {
      name: m.name,
      version: spec.version,
      state: live ? live.instance.state : 'restoring',
      routes: m.routes,
      models: m.models.map((ref) => {
        const e = router.entry(ref);
        return e ? { ref, version: e.manifest.version, placement: e.target } : { ref };
      }),
      limits: m.limits,
      compatibilityDate: m.compatibilityDate,
      compatibilityFlags: m.compatibilityFlags,
      vars: Object.keys(m.vars),
      restarts: live?.instance.restarts ?? 0,
      ...(live ? { deployedAt: live.deployedAt } : {}),
      ...(error ? { error } : {}),
    };
  }

  /** Starts the worker and readies the models side by side; on failure undoes both and throws the reasons. */
  async function bringUp(spec: DeploymentSpec): Promise<Live> {
    const [models, worker] = await Promise.allSettled([lifecycle.acquire(owner(spec), spec.manifest.models), runtime.start(spec)]);
    if (models.status === 'fulfilled' && worker.status === 'fulfilled') {
      return { spec, instance: worker.value, deployedAt: new Date().toISOString(), inflight: 0 };
    }
    if (worker.status === 'fulfilled') await worker.value.stop().catch(() => undefined);
    if (models.status === 'fulfilled') await lifecycle.release(owner(spec));
    const reasons = [worker, models].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => toEdgennError(r.reason));
    const first = reasons[0]!;
    const message = reasons.map((e) => e.message).join('; also: ');
    throw new EdgennError(first.code, message, { cause: first });
  }

  /** After a switch: wait for the old version's requests (bounded by its deadline), stop it, let its models go. */
  function drain(old: Live): void {
    const job = (async () => {
      if (old.inflight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, old.spec.manifest.limits.requestTimeoutMs + 1000);
          drainWaiters.set(old, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        drainWaiters.delete(old);
      }
      await old.instance.stop().catch((err) => log('warn', 'stopping a drained worker failed', { deployment: owner(old.spec), error: String(err) }));
      await lifecycle.release(owner(old.spec));
      log('info', 'deployment version drained', { deployment: old.spec.manifest.name, version: old.spec.version });
    })();
    drains.add(job);
    void job.finally(() => drains.delete(job));
  }

  function goLive(live: Live): Live | undefined {
    // A change that outlived close() (which stopped waiting for it) must not leave a worker running.
    if (closed) {
      void live.instance.stop().catch(() => undefined);
      return undefined;
    }
    const old = table.byName.get(live.spec.manifest.name);
    swap((m) => m.set(live.spec.manifest.name, live));
    pendingRestore.delete(live.spec.manifest.name);
    if (old) drain(old);
    return old;
  }

  function failPrefix(name: string, version: number, hadOld: boolean): string {
    return `deploy of '${name}' version ${version} refused${hadOld ? ' (the previous version keeps serving)' : ''}: `;
  }

  async function restoreOne(spec: DeploymentSpec): Promise<void> {
    try {
      const live = await bringUp(spec);
      if (closed) {
        await live.instance.stop();
        return;
      }
      goLive(live);
      log('info', 'deployment restored', { deployment: spec.manifest.name, version: spec.version });
    } catch (err) {
      const message = toEdgennError(err).message;
      pendingRestore.set(spec.manifest.name, { spec, error: message });
      log('error', 'deployment could not be restored; retrying', { deployment: spec.manifest.name, version: spec.version, error: message });
    }
  }

  function scheduleRetry(): void {
    if (closed || pendingRestore.size === 0 || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void serial(async () => {
        for (const { spec } of [...pendingRestore.values()]) if (!closed && pendingRestore.has(spec.manifest.name)) await restoreOne(spec);
      }).finally(scheduleRetry);
    }, opts.restoreRetryMs ?? 5000);
    retryTimer.unref();
  }

  return {
    match(hostname, path) {
      const t = table;
      for (const r of t.routes) if (routeMatches(r, hostname, path)) return r.target;
      return undefined;
    },

    waiting(hostname, path) {
      for (const [name, p] of pendingRestore) {
        if (p.spec.manifest.routes.some((r) => routeMatches(compileRoute(r, name), hostname, path))) return { name, error: p.error };
      }
      return undefined;
    },

    enter(live) {
      live.inflight++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        live.inflight--;
        if (live.inflight === 0) drainWaiters.get(live)?.();
      };
    },

    deploy(manifest, module) {
      return serial(async () => {
        // Deployments waiting to be restored still own their routes.
        const owners = [...table.byName.values(), ...pendingRestore.values()].map((d) => d.spec.manifest);
        checkRouteConflicts(manifest, owners);
        const spec = await store.stage(manifest, module);
        const hadOld = table.byName.has(manifest.name);
        let live: Live;
        try {
          live = await bringUp(spec);
        } catch (err) {
          await store.discard(manifest.name, spec.version);
          const e = toEdgennError(err);
          log('warn', 'deploy refused', { deployment: manifest.name, version: spec.version, error: e.message });
          throw new EdgennError(e.code, failPrefix(manifest.name, spec.version, hadOld) + e.message, { cause: err });
        }
        try {
          await store.activate(manifest.name, spec.version);
        } catch (err) {
          await live.instance.stop();
          await lifecycle.release(owner(spec));
          await store.discard(manifest.name, spec.version);
          throw err;
        }
        goLive(live);
        log('info', 'deployed', { deployment: manifest.name, version: spec.version });
        return info(spec, live);
      });
    },

    rollback(name) {
      return serial(async () => {
        if (!table.byName.has(name) && !pendingRestore.has(name)) throw new EdgennError('not-found', `no deployment named '${name}'; see \`edgenn handlers\``);
        const spec = await store.previous(name);
        if (!spec) throw new EdgennError('conflict', `deployment '${name}' has no previous version to roll back to`);
        let live: Live;
        try {
          live = await bringUp(spec);
        } catch (err) {
          const e = toEdgennError(err);
          throw new EdgennError(e.code, `rollback of '${name}' to version ${spec.version} failed (the current version keeps serving): ${e.message}`, { cause: err });
        }
        try {
          await store.rolledBack(name, spec.version);
        } catch (err) {
          await live.instance.stop();
          await lifecycle.release(owner(spec));
          throw err;
        }
        goLive(live);
        log('info', 'rolled back', { deployment: name, version: spec.version });
        return info(spec, live);
      });
    },

    undeploy(name) {
      return serial(async () => {
        const old = table.byName.get(name);
        if (!old && !pendingRestore.has(name)) throw new EdgennError('not-found', `no deployment named '${name}'; see \`edgenn handlers\``);
        await store.remove(name);
        pendingRestore.delete(name);
        if (old) {
          swap((m) => m.delete(name));
          drain(old);
        }
        log('info', 'undeployed', { deployment: name });
      });
    },

    list() {
      const out = [...table.byName.values()].map((l) => info(l.spec, l));
      for (const [name, p] of pendingRestore) if (!table.byName.has(name)) out.push(info(p.spec, undefined, p.error));
      return out.sort((a, b) => a.name.localeCompare(b.name));
    },

    get(name) {
      const live = table.byName.get(name);
      if (live) return info(live.spec, live);
      const p = pendingRestore.get(name);
      if (p) return info(p.spec, undefined, p.error);
      throw new EdgennError('not-found', `no deployment named '${name}'; see \`edgenn handlers\``);
    },

    restore() {
      return serial(async () => {
        const stored = await store.list();
        // One at a time: they share the CPU pool and the model-host, and boot is not a hot path.
        for (const d of stored) if (!closed) await restoreOne(d.spec);
        restored = true;
        scheduleRetry();
      });
    },

    async notReady() {
      if (!restored) return ['persisted deployments are still being restored'];
      const problems: string[] = [];
      for (const [name, p] of pendingRestore) problems.push(`deployment '${name}' version ${p.spec.version} is not serving: ${p.error}`);
      for (const live of table.byName.values()) {
        if (live.instance.state !== 'ready') problems.push(`deployment '${live.spec.manifest.name}' worker is ${live.instance.state}`);
      }
      const refs = [...new Set([...table.byName.values()].flatMap((l) => l.spec.manifest.models))];
      problems.push(...(await lifecycle.notReady(refs)));
      return problems;
    },

    live: () => table.byName.values(),

    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      // Bounded: the lifecycle gives up its waits on shutdown, but no admin job may hold a close for
      // long; a job that finishes later finds `closed` and stops what it started.
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        queue.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), opts.closeWaitMs ?? 5000))),
      ]).finally(() => clearTimeout(timer));
      if (!waited) log('warn', 'closing with a deployment change still under way; its workers are stopped with the rest');
      const lives = [...table.byName.values()];
      table = buildTable([]);
      for (const w of drainWaiters.values()) w();
      await Promise.allSettled([...drains, ...lives.map((l) => l.instance.stop())]);
    },
  };
}
