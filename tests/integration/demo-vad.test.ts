// The VAD demo's pipeline (Silero VAD v6, state carried, 64-sample context) finds the two spoken
// phrases of the committed sample on real ONNX Runtime, with the model the demo publishes: v6 with
// sr fixed at 16 kHz and a 576-sample window, which the engine's warm-up can run.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceSession } from 'onnxruntime-common';
import { closeSession, openSession, runSession } from '../../model-host/engine/onnx.ts';
import { warmupInputs } from '../../model-host/engine/ort-backend.ts';
import { decodeWav, detectSpeech, resample, speechProbabilities, VAD_RATE } from '../../demo/handlers/vad-pipeline.ts';
import { DEMO_MODELS } from '../../demo/models/catalog.ts';
import { fixVadWindow } from '../../demo/models/vad-window.ts';
import type { NamedTensors } from '../../wit/types.ts';

const source = DEMO_MODELS.find((m) => m.meta.name === 'silero-vad')!.source;
let fixed: InferenceSession;
let original: InferenceSession;
const infer = (_model: string, inputs: NamedTensors) => runSession(fixed, inputs);
const sr: NamedTensors = { sr: { type: 'I64', dims: [], data: BigInt64Array.of(16000n) } };
// The sample: 0.25 s silence, "edge inference" (0.92 s), 0.7 s silence, "hello world" (0.76 s), 0.25 s silence.
const sample = decodeWav(readFileSync('demo/samples/speech.wav'));

beforeAll(async () => {
  const open = await openSession(fixVadWindow(readFileSync(source)), { intraOpNumThreads: 1 });
  fixed = open.session;
  expect(open.signature.inputs.map((i) => `${i.name}[${i.shape.join(',')}]`)).toEqual(['input[batch,576]', 'state[2,?,128]']);
  // What the engine does before any traffic: zeros at the declared shapes (the original cannot take this).
  await runSession(fixed, warmupInputs(open.signature, 1));
  original = (await openSession(source, { intraOpNumThreads: 1 })).session;
});
afterAll(async () => {
  await closeSession(fixed);
  await closeSession(original);
});

describe('demo: VAD pipeline on Silero VAD v6', () => {
  it('finds the two phrases of the sample and the silence between them', async () => {
    expect(sample.sampleRate).toBe(VAD_RATE);
    const { duration, segments } = await detectSpeech(sample, infer);
    expect(duration).toBeCloseTo(2.88, 2);
    expect(segments).toHaveLength(2);
    const [a, b] = segments as [{ start: number; end: number }, { start: number; end: number }];
    expect(a.start).toBeGreaterThan(0.1);
    expect(a.start).toBeLessThan(0.35);
    expect(a.end).toBeGreaterThan(1.0);
    expect(a.end).toBeLessThan(1.5);
    expect(b.start).toBeGreaterThan(a.end);
    expect(b.start).toBeLessThan(2.0);
    expect(b.end).toBeGreaterThan(2.4);
    expect(b.end).toBeLessThanOrEqual(duration);
  });

  it('the fixed model gives the original v6 model’s probabilities (with sr = 16000)', async () => {
    const viaFixed = await speechProbabilities(sample.samples, infer);
    const viaOriginal = await speechProbabilities(sample.samples, (_m, inputs) => runSession(original, { ...inputs, ...sr }));
    let max = 0;
    viaFixed.forEach((p, i) => (max = Math.max(max, Math.abs(p - viaOriginal[i]!))));
    expect(max).toBeLessThan(1e-5);
  });

  it('the same clip at 8 kHz (resampled back) gives the same segments within a window or two', async () => {
    const full = await detectSpeech(sample, infer);
    const low = await detectSpeech(resample(sample, 8000), infer);
    expect(low.segments).toHaveLength(full.segments.length);
    low.segments.forEach((s, i) => {
      expect(Math.abs(s.start - full.segments[i]!.start)).toBeLessThan(0.1);
      expect(Math.abs(s.end - full.segments[i]!.end)).toBeLessThan(0.1);
    });
  });

  it('detects nothing when the 64-sample context is left out (why the pipeline prepends it)', async () => {
    // Silero v5.1+/v6 fed bare 512-sample windows runs but never detects speech.
    const bare = (_m: string, inputs: NamedTensors) => {
      const data = (inputs.input!.data as Float32Array).subarray(64);
      return runSession(original, { ...inputs, ...sr, input: { type: 'FP32', dims: [1, 512], data } });
    };
    expect(Math.max(...(await speechProbabilities(sample.samples, bare)))).toBeLessThan(0.5);
    expect(Math.max(...(await speechProbabilities(sample.samples, infer)))).toBeGreaterThan(0.9);
  });
});
