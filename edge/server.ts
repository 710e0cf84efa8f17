// `edgenn serve`: the registry and the edge in ONE process on ONE port (the edge front first, the
// registry's app for its paths), the model-host and one workerd per deployment as supervised
// children, all data under one directory. Persisted deployments come back, models warm, before
// /healthz/ready turns true. The only edge file that imports @hono/node-server.
import { serve } from '@hono/node-server';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRegistry } from '../registry/registry.ts';
import { sweepInterval } from '../registry/server.ts';
import { createRegistryClient } from '../registry/client.ts';
import type { LiveModelStatus } from '../registry/page/live-status.ts';
import { liveStatus } from './live-status.ts';
import { checkBearer, loadOrCreateToken } from '../registry/token.ts';
import { createModelManager } from '../model-host/engine/manager.ts';
import { createBlobCache } from '../model-host/engine/blob-cache.ts';
import { startModelHost, type ModelHost } from '../model-host/supervisor.ts';
import { createCpuPool } from './cpu-pool.ts';
import { createWorkerdRuntime } from './workerd/runtime.ts';
import { createEdgeApp } from './app.ts';
import { createDeployments } from './deployments.ts';
import { createDeploymentStore } from './deploy/store.ts';
import { createLifecycle } from './lifecycle.ts';
import { createPlacementRouter, DEFAULT_CPU_MAX_BYTES } from './placement.ts';
import { createEdgeMetrics } from './metrics.ts';
import { createJsonLog, lineLog, type Log } from './log.ts';
import { toEdgennError } from '../wit/errors.ts';

export interface EdgeServerOptions {
  dataDir: string;
  /** 0 = any free port. */
  port: number;
  /** Worker threads for CPU-placed models (default: the pool's, cores − 1, at least 1). */
  cpuWorkers?: number;
  /** Bytes the CPU-placed models may hold together (default 2 GiB); the model-host gets the same budget. */
  memoryBudgetBytes?: number;
  /** `auto` models up to this size run in the CPU pool (default 64 MiB). */
  cpuMaxBytes?: number;
  /** From $EDGENN_TOKEN; else <data>/token, generated on first start. */
  envToken?: string;
  /** ONNX Runtime intra-op threads per model-host session (default: the model-host's, half the cores). */
  modelHostIntraOpThreads?: number;
  /** Start the model-host child (default true). */
  modelHost?: boolean;
  log?: Log;
}

export interface EdgeServer {
  url: string;
  port: number;
  token: string;
  /** true when this start generated the token (print it once). */
  tokenCreated: boolean;
  /** Resolves once persisted deployments are restored (or given up to the retry loop). */
  restored: Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8787;
/** How long close() waits for a restore under way before it stops the children regardless. */
const CLOSE_WAIT_MS = 5_000;

/** Resolves when `p` settles or after `ms`, whichever comes first. */
function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}
export const DEFAULT_MEMORY_BUDGET = 2 * 1024 ** 3;

function listen(fetch: (req: Request) => Response | Promise<Response>, port: number): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const s = serve({
      fetch,
      hostname: '127.0.0.1',
      port,
      serverOptions: {
        // Slow-loris guard on headers; bodies may be model uploads of gigabytes on the same port.
        headersTimeout: 30_000,
        requestTimeout: 3_600_000,
        // Node checks those two only when it sweeps connections (every 30 s by default).
        connectionsCheckingInterval: sweepInterval(30_000, 3_600_000),
        maxHeaderSize: 16 * 1024,
        keepAliveTimeout: 5_000,
      },
    }) as Server;
    s.once('error', reject);
    s.once('listening', () => resolve(s));
  });
}

export async function startEdgeServer(opts: EdgeServerOptions): Promise<EdgeServer> {
  const log = opts.log ?? createJsonLog();
  const data = opts.dataDir;
  await mkdir(join(data, 'run'), { recursive: true, mode: 0o700 });
  const { token, created } = await loadOrCreateToken(data, opts.envToken);
  // The docs page shows live status from both placements; they exist a moment later (below).
  let live: (() => Promise<LiveModelStatus[]>) | undefined;
  const registry = await createRegistry({
    dataDir: data,
    token,
    pages: { status: () => live?.() ?? Promise.resolve([]), cpuThresholdBytes: opts.cpuMaxBytes ?? DEFAULT_CPU_MAX_BYTES },
  });
  const store = createDeploymentStore(data);
  await store.init();

  // The port is bound first because the registry client, the CPU blob cache and the model-host
  // need the URL; until the app exists (a moment later) a request is told to retry.
  let app: { fetch(req: Request): Response | Promise<Response> } | undefined;
  const server = await listen((req) => app?.fetch(req) ?? new Response(null, { status: 503, headers: { 'retry-after': '1' } }), opts.port);
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const registryClient = createRegistryClient({ url, token });

  const metrics = createEdgeMetrics();
  const memoryBudgetBytes = opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
  const pool = createCpuPool({ ...(opts.cpuWorkers ? { workers: opts.cpuWorkers } : {}), log: lineLog(log, 'cpu-pool') });
  const cpu = createModelManager({
    backend: pool,
    blobs: createBlobCache({ dir: join(data, 'cpu-cache'), registry: registryClient, log: lineLog(log, 'cpu-cache') }),
    memoryBudgetBytes,
    log: lineLog(log, 'engine'),
  });
  let modelHost: ModelHost | undefined;
  live = () => liveStatus(() => cpu.status(), () => modelHost?.client.models());
  const router = createPlacementRouter({
    cpu,
    modelHost: () => modelHost?.client,
    metrics,
    cpuMaxBytes: opts.cpuMaxBytes ?? DEFAULT_CPU_MAX_BYTES,
  });
  const runtime = createWorkerdRuntime({ runDir: join(data, 'run', 'workerd'), router, log: lineLog(log, 'workerd') });
  // Aborted first thing on close: the feed, and every lifecycle wait a restore or deploy may be in.
  const abort = new AbortController();
  const lifecycle = createLifecycle({
    registry: registryClient,
    router,
    cpu,
    modelHost: () => modelHost?.client,
    modelHostReady: async () => modelHost?.ready(),
    signal: abort.signal,
    log,
  });
  const deployments = createDeployments({ store, runtime, lifecycle, router, log });
  metrics.onCollectRestarts(() =>
    [...deployments.live()].map((l) => ({ deployment: l.spec.manifest.name, version: l.spec.version, restarts: l.instance.restarts })),
  );
  app = createEdgeApp({ deployments, metrics, log, token, checkBearer, fallback: (req) => registry.app.fetch(req) });

  if (opts.modelHost !== false) {
    // Made here, by the unsandboxed parent: the model-host may only write inside them, not create them.
    await mkdir(join(data, 'cache'), { recursive: true });
    await mkdir(join(data, 'run', 'model-host'), { recursive: true, mode: 0o700 });
    modelHost = startModelHost({
      registryUrl: url,
      // A directory of its own: the model-host's sandbox hands it to its unprivileged user.
      socketPath: join(data, 'run', 'model-host', 'model-host.sock'),
      cacheDir: join(data, 'cache'),
      memoryBudget: memoryBudgetBytes,
      ...(opts.modelHostIntraOpThreads !== undefined ? { intraOpThreads: opts.modelHostIntraOpThreads } : {}),
      log: lineLog(log, 'model-host'),
    });
  }
  const following = lifecycle.follow(abort.signal);
  // A restarted model-host comes back empty but for its preloads: load what the edge routes there again.
  let hostRestarts = 0;
  const watchHost = setInterval(() => {
    if (!modelHost || modelHost.restarts === hostRestarts || modelHost.state !== 'ready') return;
    hostRestarts = modelHost.restarts;
    log('warn', 'the model-host restarted; loading its models again', { restarts: hostRestarts });
    void lifecycle.reloadModelHost();
  }, 500);
  watchHost.unref();

  // Deployments whose models live on the model-host wait for it inside the lifecycle; CPU-only
  // ones do not, and a model-host that cannot start holds back only the deployments that need it.
  void modelHost?.ready().catch((err) => log('error', 'the model-host is not ready', { error: toEdgennError(err).message }));
  const restored = (async () => {
    await deployments.restore();
    log('info', 'deployments restored', { deployments: [...deployments.live()].length });
  })();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    token,
    tokenCreated: created,
    restored,
    close() {
      closing ??= (async () => {
        abort.abort();
        clearInterval(watchHost);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        // The abort makes a restore stuck on the model-host give up at once; the bound covers
        // anything else, and deployments.close() then stops whatever it started.
        await bounded(restored.catch(() => undefined), CLOSE_WAIT_MS);
        await deployments.close();
        await runtime.close();
        await Promise.allSettled([modelHost?.stop(), cpu.close()]);
        await pool.close();
        await registry.close();
        await following.catch(() => undefined);
        await closed;
      })();
      return closing;
    },
  };
}
