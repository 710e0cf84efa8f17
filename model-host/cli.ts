// `edgenn model-host`: runs the sandboxed model-host under its supervisor in the foreground,
// restarting it when it dies, until Ctrl-C or SIGTERM stops both cleanly.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError, type Command } from '../edge/cli/args.ts';
import { HOST_OPTIONS, batchingFrom, intraOpThreadsFrom, parseBytes, preloadFrom } from './options.ts';
import { startModelHost } from './supervisor.ts';

export const command: Command = {
  summary: 'run the sandboxed model-host (KServe v2) that preloads large models by name',
  usage: `Usage: edgenn model-host --registry URL [--socket PATH | --port N] [--preload ref,ref…]
                          [--memory-budget 8GiB] [--cache DIR] [--batch-max N] [--batch-delay-us N] [--queue-max N]
                          [--intra-op-threads N]

Runs the model-host under a supervisor that restarts it with backoff when it dies. It preloads the
models named by --preload plus the registry's models marked preload, and answers ready (GET
/v2/health/ready) only once all of them are warm. Default socket: <data>/run/model-host/model-host.sock
(mode 0600, in a directory of its own); --port N serves on 127.0.0.1:N instead. Default cache: <data>/cache.
--read-token T (default $EDGENN_READ_TOKEN): for a registry that requires a token for reads; it is the
only token the sandboxed process gets (the admin token, --token / $EDGENN_TOKEN, never is).
--intra-op-threads N: ONNX Runtime threads per session (default half the cores, at least 1).`,
  options: { ...HOST_OPTIONS, 'read-token': { type: 'string' } },
  async run(args, flags) {
    if (!flags.registry) throw new UsageError('--registry URL is required (the registry to fetch models from)');
    const v = args.values;
    if (typeof v.socket === 'string' && flags.port !== undefined) throw new UsageError('give --socket PATH or --port N, not both');
    if (flags.port === 0) throw new UsageError('--port must name a fixed port for the model-host (0 is not allowed here)');
    let batching, memoryBudget, intraOpThreads;
    try {
      batching = batchingFrom(v);
      intraOpThreads = intraOpThreadsFrom(v);
      if (typeof v['memory-budget'] === 'string') memoryBudget = parseBytes(v['memory-budget']);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const socketPath = flags.port === undefined ? resolve(typeof v.socket === 'string' ? v.socket : join(flags.data, 'run', 'model-host', 'model-host.sock')) : undefined;
    if (socketPath) mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
    const cacheDir = resolve(typeof v.cache === 'string' ? v.cache : join(flags.data, 'cache'));
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const readToken = typeof v['read-token'] === 'string' ? v['read-token'] : process.env.EDGENN_READ_TOKEN;
    const host = startModelHost({
      registryUrl: flags.registry,
      ...(socketPath ? { socketPath } : { port: flags.port! }),
      cacheDir,
      preload: preloadFrom(v),
      ...(memoryBudget !== undefined ? { memoryBudget } : {}),
      batching,
      intraOpThreads,
      ...(readToken ? { readToken } : {}),
      log: (line) => console.error(line),
    });
    const stopped = new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        console.error('edgenn model-host: stopping');
        void host.stop().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    let failed = false;
    host.ready().then(
      () => console.error(`edgenn model-host: ready on ${socketPath ?? `http://127.0.0.1:${flags.port}`}`),
      (err: Error) => {
        if (host.state === 'stopped' && !failed && err.message.includes('stopped')) return;
        failed = true;
        console.error(`edgenn model-host: ${err.message}`);
        process.kill(process.pid, 'SIGTERM');
      },
    );
    await stopped;
    return failed ? 1 : 0;
  },
};
