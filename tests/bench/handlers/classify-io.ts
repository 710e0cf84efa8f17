// The request and answer of the benchmark's classify endpoint, shared by the edge handler and the
// monolith baselines so all of them do the same work: raw float32 bytes of an OCR direction crop
// (x: float32[1,3,48,192]) in, the two class probabilities as JSON out.
import type { NamedTensors, Tensor } from '../../../wit/types.ts';

export const DIMS = [1, 3, 48, 192];

export function readTensor(body: Uint8Array): Tensor<'FP32'> {
  const n = DIMS.reduce((a, b) => a * b, 1);
  if (body.byteLength !== n * 4) throw new Error(`expected ${n * 4} bytes of float32, got ${body.byteLength}`);
  const data = new Float32Array(n);
  new Uint8Array(data.buffer).set(body);
  return { type: 'FP32', dims: DIMS, data };
}

export function classifyResponse(out: NamedTensors): { angle: 0 | 180; scores: number[] } {
  const t = Object.values(out)[0]!;
  const scores = Array.from(t.data as Float32Array, (v) => Math.round(v * 1e4) / 1e4);
  return { angle: scores[1]! > scores[0]! ? 180 : 0, scores };
}
