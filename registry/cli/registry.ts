// `edgenn registry`: serves the model registry alone on 127.0.0.1 (edgenn serve embeds it instead).
import { UsageError, type Command } from '../../edge/cli/args.ts';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../app.ts';
import { createRegistry } from '../registry.ts';
import { startRegistryServer } from '../server.ts';
import { loadOrCreateToken } from '../token.ts';

export const DEFAULT_REGISTRY_PORT = 8787;

export const command: Command = {
  summary: 'serve the model registry',
  usage: `Usage: edgenn registry [--data DIR] [--port N] [--max-upload-bytes N] [--require-token-for-reads]

Serves the registry API (/v1/models…, /v1/events) on 127.0.0.1:${DEFAULT_REGISTRY_PORT} (--port 0 = any
free port) and prints 'listening on http://127.0.0.1:PORT'. Models are stored under
<data>/registry as an OCI image layout. Writes need the token: $EDGENN_TOKEN, --token, or the
one generated into <data>/token on first start (printed once).

  --max-upload-bytes N        largest model upload (default ${DEFAULT_MAX_UPLOAD_BYTES}, 4 GiB)
  --require-token-for-reads   reads need the token too (default: reads are public)`,
  options: {
    'max-upload-bytes': { type: 'string' },
    'require-token-for-reads': { type: 'boolean' },
  },
  async run(args, flags) {
    const rawMax = args.values['max-upload-bytes'];
    const maxUploadBytes = typeof rawMax === 'string' ? Number(rawMax) : DEFAULT_MAX_UPLOAD_BYTES;
    if (!Number.isSafeInteger(maxUploadBytes) || maxUploadBytes <= 0) throw new UsageError(`--max-upload-bytes must be a positive whole number, got '${String(rawMax)}'`);
    const { token, created, path } = await loadOrCreateToken(flags.data, flags.token);
    const registry = await createRegistry({
      dataDir: flags.data,
      token,
      maxUploadBytes,
      requireTokenForReads: args.values['require-token-for-reads'] === true,
      log: (line) => console.log(line),
    });
    const server = await startRegistryServer(registry.app, flags.port ?? DEFAULT_REGISTRY_PORT);
    if (created) console.log(`registry: generated an API token (shown once; it is kept in ${path}):\n  ${token}`);
    console.log(`registry: data in ${registry.dir}`);
    console.log(`listening on ${server.url}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await registry.close();
    await server.close();
    return 0;
  },
};
