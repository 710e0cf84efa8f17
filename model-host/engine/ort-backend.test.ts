import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { absurdDimsModel, protobufNotAModel, scaleModel, unsupportedOpModel, writeModel } from '../../tests/fixtures/onnx-models.ts';
import type { ModelManifest } from '../../registry/manifest.ts';
import { createOrtBackend, warmupInputs } from './ort-backend.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgenn-ort-backend-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const manifest = (size: number) => ({ name: 'm', version: '1.0.0', size }) as ModelManifest;

it('warms up on zeros at declared shapes (dynamic dims = 1, first dim = batch size)', () => {
  const sig = { inputs: [{ name: 'x', type: 'FP32' as const, shape: ['n', 3] }, { name: 'k', type: 'I64' as const, shape: [] }], outputs: [] };
  const w = warmupInputs(sig, 4);
  expect(w.x).toMatchObject({ dims: [4, 3] });
  expect(w.x!.data).toEqual(new Float32Array(12));
  expect(w.k).toMatchObject({ dims: [], data: new BigInt64Array(1) });
});

it('loads, warms and runs a model, reporting provider, timings and at least the file size', async () => {
  const bytes = scaleModel(3);
  const path = writeModel(join(dir, 'scale.onnx'), bytes);
  let warming = 0;
  const m = await createOrtBackend().load(manifest(bytes.length), path, [1], { onWarming: () => warming++ });
  try {
    expect(warming).toBe(1);
    expect(m.provider).toBe('cpu');
    expect(m.residentBytes).toBeGreaterThanOrEqual(bytes.length);
    expect(m.loadMs).toBeGreaterThanOrEqual(0);
    expect(m.warmupMs).toBeGreaterThanOrEqual(0);
    const out = await m.run({ x: { type: 'FP32', dims: [1, 3], data: Float32Array.of(1, 2, 3) }, k: { type: 'I64', dims: [], data: BigInt64Array.of(3n) } });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([3, 6, 9]);
  } finally {
    await m.close();
  }
  await expect(m.run({})).rejects.toMatchObject({ code: 'unavailable' });
});

it('maps broken models to typed errors and refuses absurd declared shapes at warm-up', async () => {
  const backend = createOrtBackend();
  const load = (name: string, bytes: Uint8Array) => backend.load(manifest(bytes.length), writeModel(join(dir, name), bytes), [1]);
  await expect(load('op.onnx', unsupportedOpModel())).rejects.toMatchObject({ code: 'unsupported-operation' });
  await expect(load('pb.onnx', protobufNotAModel())).rejects.toMatchObject({ code: 'invalid-encoding' });
  await expect(load('absurd.onnx', absurdDimsModel())).rejects.toMatchObject({ code: 'too-large', message: expect.stringMatching(/warm-up input 'x'/) });
});

it('asks for CUDA when told to and reports the provider it actually got (CPU fallback logged)', async () => {
  const bytes = scaleModel(3);
  const path = writeModel(join(dir, 'scale-cuda.onnx'), bytes);
  const lines: string[] = [];
  const m = await createOrtBackend({ preferCuda: true, log: (l) => lines.push(l) }).load(manifest(bytes.length), path, [1]);
  try {
    expect(['cuda', 'cpu']).toContain(m.provider);
    if (m.provider === 'cpu') expect(lines.join('\n')).toMatch(/cuda execution provider unavailable, using cpu/);
    const out = await m.run({ x: { type: 'FP32', dims: [1, 3], data: Float32Array.of(1, 2, 3) }, k: { type: 'I64', dims: [], data: BigInt64Array.of(2n) } });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 4, 6]);
  } finally {
    await m.close();
  }
});
