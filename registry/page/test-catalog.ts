// Test setup shared by the docs page's unit tests: a real registry (OCI layout store in a temp dir)
// with generated models published through its HTTP app, as a publisher would.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, type Registry } from '../registry.ts';
import { addModel, scaleModel } from '../../tests/fixtures/onnx-models.ts';

export const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
export const JSON_ONLY = { accept: 'application/json' };
export const HOSTILE = '<script>alert("pwned")</script> & <img src=x onerror=alert(1)>';

const TOKEN = 'page-test-token';

export interface TestCatalog {
  registry: Registry;
  close(): Promise<void>;
}

async function publish(r: Registry, name: string, version: string, bytes: Uint8Array, meta: Record<string, string | string[]>): Promise<void> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(meta)) for (const one of [v].flat()) q.append(k, one);
  const res = await r.app.request(`/v1/models/${name}/versions/${version}?${q}`, {
    method: 'PUT',
    body: bytes,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) },
  });
  if (res.status !== 201) throw new Error(`publish ${name}@${version}: ${res.status} ${await res.text()}`);
}

/**
 * `adder` 1.0.0 (alias stable) and 1.2.0 (latest), CPU-sized, task arithmetic; `gain` 0.1.0,
 * placement gpu, task audio, with a hostile description and label. `empty` publishes nothing.
 */
export async function openCatalog(opts: { empty?: boolean } = {}): Promise<TestCatalog> {
  const dir = await mkdtemp(join(tmpdir(), 'edgenn-page-'));
  const registry = await createRegistry({ dataDir: dir, token: TOKEN });
  if (!opts.empty) {
    await publish(registry, 'adder', '1.0.0', addModel({ bias: 1 }), { description: 'Adds one', task: 'arithmetic', license: 'MIT', label: ['domain=math'], alias: 'stable' });
    await publish(registry, 'adder', '1.2.0', addModel({ bias: 2 }), { description: 'Adds two', task: 'arithmetic', license: 'MIT', label: ['domain=math'] });
    await publish(registry, 'gain', '0.1.0', scaleModel(3), { description: HOSTILE, task: 'audio', label: ['domain=audio', `note=${HOSTILE}`], placement: 'gpu' });
  }
  return {
    registry,
    async close() {
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
