// How the registry commands find their registry and token: --registry, $EDGENN_REGISTRY or
// http://127.0.0.1:8787; --token, $EDGENN_TOKEN or the token file in the data directory.
import type { GlobalFlags } from '../../edge/cli/args.ts';
import { DEFAULT_REGISTRY_URL, createRegistryClient, type HttpRegistryClient } from '../client.ts';
import { readTokenFile } from '../token.ts';

export async function connect(flags: GlobalFlags): Promise<HttpRegistryClient> {
  const url = flags.registry ?? (process.env.EDGENN_REGISTRY || DEFAULT_REGISTRY_URL);
  const token = flags.token ?? (await readTokenFile(flags.data));
  return createRegistryClient({ url, ...(token ? { token } : {}) });
}
