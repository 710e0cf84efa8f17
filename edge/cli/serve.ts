// `edgenn serve`: the whole platform on one port (registry + edge), with the model-host and one
// workerd per deployment as supervised children, until SIGINT / SIGTERM.
import type { Command } from './args.ts';
import { UsageError } from './args.ts';
import { DEFAULT_PORT, startEdgeServer } from '../server.ts';
import { parseBytes } from '../../model-host/options.ts';

/** One size syntax for every flag that takes one (the model-host's `--memory-budget` too). */
function bytesFlag(text: string, flag: string): number {
  try {
    return parseBytes(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

export const command: Command = {
  summary: 'run the registry and the edge on one port',
  usage: `Usage: edgenn serve [--data DIR] [--port N] [--cpu-workers N] [--memory-budget SIZE] [--cpu-max-bytes SIZE]
                    [--intra-op-threads N]

Runs the registry and the edge in one process on one port (default ${DEFAULT_PORT}), the model-host
and one workerd process per deployment as supervised children, all data under --data. Persisted
deployments come back with their models warm before /healthz/ready answers 200.

  --cpu-workers N        worker threads for CPU-placed models (default: cores - 1)
  --memory-budget SIZE   bytes resident models may hold, per placement (default 2GiB)
  --cpu-max-bytes SIZE   'auto' models up to this size run in the CPU pool (default 64MiB)
  --intra-op-threads N   ONNX Runtime threads per model-host session (default: half the cores)
  --no-model-host        do not start the model-host (models that need it cannot be deployed)`,
  options: {
    'cpu-workers': { type: 'string' },
    'memory-budget': { type: 'string' },
    'cpu-max-bytes': { type: 'string' },
    'no-model-host': { type: 'boolean' },
    'intra-op-threads': { type: 'string' },
  },
  async run(args, flags) {
    const v = args.values;
    let cpuWorkers: number | undefined;
    if (typeof v['cpu-workers'] === 'string') {
      cpuWorkers = Number(v['cpu-workers']);
      if (!Number.isInteger(cpuWorkers) || cpuWorkers < 1 || cpuWorkers > 256) throw new UsageError(`--cpu-workers wants a whole number from 1 to 256, got '${v['cpu-workers']}'`);
    }
    let intraOpThreads: number | undefined;
    if (typeof v['intra-op-threads'] === 'string') {
      intraOpThreads = Number(v['intra-op-threads']);
      if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1 || intraOpThreads > 256) throw new UsageError(`--intra-op-threads wants a whole number from 1 to 256, got '${v['intra-op-threads']}'`);
    }
    const server = await startEdgeServer({
      dataDir: flags.data,
      port: flags.port ?? DEFAULT_PORT,
      ...(cpuWorkers !== undefined ? { cpuWorkers } : {}),
      ...(typeof v['memory-budget'] === 'string' ? { memoryBudgetBytes: bytesFlag(v['memory-budget'], '--memory-budget') } : {}),
      ...(typeof v['cpu-max-bytes'] === 'string' ? { cpuMaxBytes: bytesFlag(v['cpu-max-bytes'], '--cpu-max-bytes') } : {}),
      ...(process.env.EDGENN_TOKEN ? { envToken: process.env.EDGENN_TOKEN } : flags.token ? { envToken: flags.token } : {}),
      ...(intraOpThreads !== undefined ? { modelHostIntraOpThreads: intraOpThreads } : {}),
      modelHost: v['no-model-host'] !== true,
    });
    console.log(`listening on ${server.url}`);
    if (server.tokenCreated) console.log(`token (saved in ${flags.data}/token, shown once): ${server.token}`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        console.error(`edgenn serve: ${signal}: shutting down`);
        // close() bounds its own waits; this is the last resort. Exiting runs the exit hooks that
        // SIGKILL the model-host and workerd children, so even then none is left behind.
        const force = setTimeout(() => {
          console.error('edgenn serve: shutdown did not finish within 30 s; exiting anyway');
          process.exit(1);
        }, 30_000);
        force.unref();
        void server.close().then(resolve, resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  },
};
