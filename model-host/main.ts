// The model-host process (bundled to dist/model-host/main.js, run sandboxed by supervisor.ts):
// listens at once, preloads its models, and only then answers ready. SIGTERM drains and exits.
import { parseArgs } from 'node:util';
import { createRegistryClient } from '../registry/client.ts';
import { createBlobCache } from './engine/blob-cache.ts';
import { createModelManager } from './engine/manager.ts';
import { createOrtBackend } from './engine/ort-backend.ts';
import { toEdgennError } from '../wit/errors.ts';
import { createModelHostApp } from './app.ts';
import { createModelHostMetrics } from './metrics.ts';
import { followRegistry } from './follow.ts';
import { preloadAll, resolvePreloadList } from './preload.ts';
import { listen } from './server.ts';
import { HOST_OPTIONS, batchingFrom, intraOpThreadsFrom, parseBytes, preloadFrom } from './options.ts';

/** Bad arguments, or a preload that can never succeed: the supervisor does not restart on these. */
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;

const USAGE = `Usage: model-host --registry URL (--socket PATH | --port N) [--preload ref,ref…] [--memory-budget 8GiB]
                  [--cache DIR] [--batch-max N] [--batch-delay-us N] [--queue-max N]
                  [--intra-op-threads N]`;

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

function describeSandbox(): void {
  const perm = (process as { permission?: { has(scope: string, ref?: string): boolean } }).permission;
  if (!perm) {
    log('sandbox: Node permission model is OFF in this process (no --permission / --experimental-permission)');
    return;
  }
  const denied = (scope: string, ref?: string) => (perm.has(scope, ref) ? 'allowed' : 'denied');
  log(`sandbox: permission model on; child processes ${denied('child')}, worker threads ${denied('worker')}, writes to / ${denied('fs.write', '/')}; uid ${process.getuid?.()}`);
}

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: {
        ...HOST_OPTIONS,
        registry: { type: 'string' },
        port: { type: 'string' },
        'parent-watch': { type: 'boolean' },
        'test-probes': { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    log(`model-host: ${(err as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  let cfg;
  try {
    if (!values.registry) throw new Error('--registry URL is required');
    if (!values.socket === (values.port === undefined)) throw new Error('give exactly one of --socket PATH or --port N');
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new Error(`--port must be a whole number from 0 to 65535, got '${values.port}'`);
    cfg = {
      registry: values.registry,
      socket: values.socket,
      port,
      preload: preloadFrom(values),
      budget: parseBytes(values['memory-budget'] ?? '8GiB'),
      cache: values.cache ?? './.edgenn/cache',
      batching: batchingFrom(values),
      intraOpThreads: intraOpThreadsFrom(values),
    };
  } catch (err) {
    log(`model-host: ${(err as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }

  describeSandbox();
  const registry = createRegistryClient({ url: cfg.registry, ...(process.env.EDGENN_READ_TOKEN ? { token: process.env.EDGENN_READ_TOKEN } : {}) });
  const metrics = createModelHostMetrics();
  const manager = createModelManager({
    backend: createOrtBackend({ preferCuda: true, intraOpNumThreads: cfg.intraOpThreads, log }),
    blobs: createBlobCache({ dir: cfg.cache, registry }),
    memoryBudgetBytes: cfg.budget,
    batching: cfg.batching,
    log,
    onEvent: metrics.engineEvent,
  });

  let preloads: string[] | undefined;
  const app = createModelHostApp({ manager, registry, metrics, preloads: () => preloads, testProbes: values['test-probes'] === true });
  let server;
  try {
    server = await listen(app, cfg.socket ? { socketPath: cfg.socket } : { port: cfg.port! });
  } catch (err) {
    log(`model-host: cannot listen: ${(err as Error).message}`);
    return EXIT_CONFIG;
  }
  log(`model-host: listening on ${server.address}; memory budget ${(cfg.budget / 1024 ** 3).toFixed(2)} GiB; cache ${cfg.cache}; ONNX Runtime intra-op threads ${cfg.intraOpThreads}`);

  const following = new AbortController();
  let stopping = false;
  const stop = async (why: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`model-host: ${why}: draining and stopping`);
    const force = setTimeout(() => process.exit(code), 10_000);
    force.unref();
    following.abort();
    await server!.close();
    await manager.close().catch(() => {});
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  process.on('SIGINT', () => void stop('SIGINT', 0));
  if (values['parent-watch']) {
    // The supervisor holds our stdin: when it goes away (even SIGKILLed), so do we.
    process.stdin.on('end', () => void stop('supervisor gone', 0));
    process.stdin.on('error', () => void stop('supervisor gone', 0));
    process.stdin.resume();
  }

  try {
    const list = await resolvePreloadList(registry, cfg.preload);
    log(`model-host: preloading ${list.length} model(s): ${list.join(', ') || '(none)'}`);
    await preloadAll({ manager, registry, refs: list, log });
    preloads = list;
    log('model-host: ready');
    void followRegistry({ manager, registry, signal: following.signal, log });
  } catch (err) {
    const e = toEdgennError(err);
    log(`model-host: preload failed: ${e.code}: ${e.message}`);
    // A missing or unloadable model will not appear by restarting; a registry that is down might.
    await stop('preload failed', e.retryable ? 1 : EXIT_CONFIG);
  }
  return 0;
}

process.exitCode = await main();
