// The ≥100 MB demo model: IS-Net medium with its FLOAT16 weights upcast to FLOAT must give the
// same mask as the original (within 1/255), on real ONNX Runtime.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSession, runSession, closeSession } from '../../model-host/engine/onnx.ts';
import { fp16Model } from '../fixtures/onnx-models.ts';
import { upcastBytes, upcastFile } from '../../demo/models/upcast-fp16.ts';
import { decodePng } from '../../demo/handlers/image.ts';
import { isnetInput } from '../../demo/handlers/background-pipeline.ts';
import { ISNET_FP16_PATH } from '../../demo/models/catalog.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgenn-demo-upcast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function outputOf(model: string | Uint8Array, inputs: Parameters<typeof runSession>[1], fetch: string[]): Promise<Float32Array> {
  const { session } = await openSession(model, { intraOpNumThreads: 2 });
  try {
    return (await runSession(session, inputs, fetch))[fetch[0]!]!.data as Float32Array;
  } finally {
    await closeSession(session);
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('demo: fp16 → fp32 upcast', () => {
  it('a small fp16 model computes the same sums once upcast', async () => {
    const a = Uint16Array.from([0x3c00, 0x3800, 0xc000, 0x0400]); // 1, 0.5, -2, 2^-14
    const b = Uint16Array.from([0x4000, 0x3400, 0x3c00, 0x0000]); // 2, 0.25, 1, 0
    const model = fp16Model(a, b);
    const x = { x: { type: 'FP32' as const, dims: [1, 4], data: Float32Array.from([0.25, 1, 3, 0]) } };
    const upcast = upcastBytes(model).bytes;
    const before = await outputOf(model, x, ['y']);
    const after = await outputOf(upcast, x, ['y']);
    expect(Array.from(after)).toEqual([3.25, 1.75, 2, 2 ** -14]);
    expect(maxAbsDiff(before, after)).toBeLessThan(1e-3);
  });

  it('IS-Net medium upcast is at least 100 MB and its mask matches the fp16 original within 1/255', async () => {
    const dest = join(dir, 'isnet-fp32.onnx');
    const stats = upcastFile(ISNET_FP16_PATH, dest);
    expect(statSync(dest).size).toBe(stats.bytes);
    expect(stats.bytes).toBeGreaterThanOrEqual(100_000_000);
    expect(stats.tensors).toBeGreaterThan(100);

    const input = { input: isnetInput(decodePng(readFileSync('demo/samples/photo.png'))) };
    const fp16 = await outputOf(ISNET_FP16_PATH, input, ['output']);
    const fp32 = await outputOf(dest, input, ['output']);
    expect(maxAbsDiff(fp16, fp32)).toBeLessThan(1 / 255);
  });
});
