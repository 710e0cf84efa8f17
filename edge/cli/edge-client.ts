// How the deploy / handlers / rollback / undeploy commands reach the edge's admin API: the URL
// from --edge (else $EDGENN_EDGE, else the local default) and the token from --token, $EDGENN_TOKEN
// or <data>/token.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GlobalFlags } from './args.ts';
import { EdgennError, isServiceCode } from '../../wit/errors.ts';

export const DEFAULT_EDGE_URL = 'http://127.0.0.1:8787';

export function edgeUrl(flag: unknown): string {
  const url = typeof flag === 'string' ? flag : process.env.EDGENN_EDGE || DEFAULT_EDGE_URL;
  return url.replace(/\/+$/, '');
}

async function token(flags: GlobalFlags): Promise<string | undefined> {
  if (flags.token) return flags.token;
  const text = await readFile(join(flags.data, 'token'), 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}

/** One admin call; a non-2xx answer becomes the EdgennError the edge described. */
export async function callEdge(base: string, flags: GlobalFlags, method: string, path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = {};
  const t = await token(flags);
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    throw new EdgennError('unavailable', `cannot reach the edge at ${base} (${(err as Error).cause ?? (err as Error).message}); is \`edgenn serve\` running? (set --edge URL)`);
  }
  if (res.status === 204) return undefined;
  const json = (await res.json().catch(() => undefined)) as { error?: { code?: unknown; message?: unknown } } | undefined;
  if (!res.ok) {
    const code = isServiceCode(json?.error?.code) ? json.error.code : 'unknown';
    const message = typeof json?.error?.message === 'string' ? json.error.message : `the edge at ${base} answered HTTP ${res.status}`;
    throw new EdgennError(code, message);
  }
  return json;
}
