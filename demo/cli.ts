// `edgenn demo` (what `npm start` runs): starts `edgenn serve` in this process, publishes the demo
// models, deploys the demo handlers, waits for ready and prints what to try; Ctrl-C stops it all.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../edge/cli/args.ts';
import { DEFAULT_PORT, startEdgeServer, type EdgeServer } from '../edge/server.ts';
import { createJsonLog, type Log } from '../edge/log.ts';
import { createRegistryClient } from '../registry/client.ts';
import { DEMO_HANDLERS, DEMO_MODELS } from './models/catalog.ts';
import { prepareModels } from './models/prepare.ts';
import { deployHandlers, instructions, publishModels, waitReady } from './setup.ts';

/** IS-Net holds far more after its first run than its file size; give the placements room. */
const MEMORY_BUDGET = 4 * 1024 ** 3;

/** Every log line to `<data>/demo/serve.log`; warnings and errors also on stderr, short. */
function demoLog(dataDir: string): { log: Log; path: string; close(): void } {
  const path = join(dataDir, 'demo', 'serve.log');
  const file = createWriteStream(path, { flags: 'a' });
  const json = createJsonLog((line) => file.write(line));
  return {
    path,
    log(level, msg, fields) {
      json(level, msg, fields);
      if (level === 'warn' || level === 'error') process.stderr.write(`edgenn: ${level}: ${msg}${fields?.error ? ` (${String(fields.error)})` : ''}\n`);
    },
    close: () => file.end(),
  };
}

export const command: Command = {
  summary: 'start the platform with the demo handlers on real models (what `npm start` runs)',
  usage: `Usage: edgenn demo [--data DIR] [--port N]

Starts \`edgenn serve\` (registry + edge on one port, the model-host and one workerd per handler),
publishes the demo models (PP-OCRv4 det/cls/rec and Silero VAD on the CPU worker threads; IS-Net
background removal on the model-host), deploys the demo handlers (/ocr, /background, /vad), waits
until everything is loaded and warm, and prints the docs page URL and curl lines to try. Ctrl-C stops everything.
A second start with the same --data (default ./.edgenn) reuses what the first one set up.`,
  options: {},
  async run(_args, flags) {
    const say = (line: string) => console.log(line);
    // The first Ctrl-C (or SIGTERM) shuts down cleanly; a second one while that hangs exits at once.
    let signals = 0;
    const stop = new Promise<string>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        if (++signals === 1) return resolve(signal);
        console.error(`demo: ${signal} again: exiting without waiting for the shutdown to finish`);
        process.exit(130);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    mkdirSync(join(flags.data, 'demo'), { recursive: true });
    const logs = demoLog(flags.data);
    let starting: Promise<EdgeServer> | undefined;
    const abort = new AbortController();

    const setup = (async () => {
      const prepared = await prepareModels(DEMO_MODELS, flags.data, say);
      say(`demo: starting edgenn serve (data in ${flags.data}, log in ${logs.path})…`);
      starting = startEdgeServer({
        dataDir: flags.data,
        port: flags.port ?? DEFAULT_PORT,
        memoryBudgetBytes: MEMORY_BUDGET,
        ...(flags.token ? { envToken: flags.token } : {}),
        log: logs.log,
      });
      const server = await starting;
      say(`demo: listening on ${server.url}`);
      if (server.tokenCreated) say(`demo: admin token saved in ${join(flags.data, 'token')}`);
      await server.restored;
      await publishModels(createRegistryClient({ url: server.url, token: server.token }), prepared, say);
      await deployHandlers(server.url, { ...flags, token: server.token }, DEMO_HANDLERS, say);
      await waitReady(server.url, say, { signal: abort.signal });
      return server;
    })();
    setup.catch(() => {}); // awaited below; this only keeps an early Ctrl-C from leaving it unhandled

    try {
      const first = await Promise.race([setup, stop]);
      if (typeof first !== 'string') {
        say(`\n${instructions(first.url, DEMO_HANDLERS)}\n`);
        await stop;
      }
      return 0;
    } finally {
      abort.abort();
      const server = await starting?.catch(() => undefined);
      if (server) {
        say('demo: shutting down (handlers, model-host, registry)…');
        await server.close();
        say('demo: stopped');
      }
      logs.close();
    }
  },
};
