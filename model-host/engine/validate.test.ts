import { describe, expect, it } from 'vitest';
import { EdgennError } from '../../wit/errors.ts';
import type { Signature } from '../../registry/manifest.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { validateInputs } from './validate.ts';

// Silero-like: a dynamic 2-D input, a fixed/dynamic state, and a rank-0 int64 scalar.
const sig: Signature = {
  inputs: [
    { name: 'x', type: 'FP32', shape: ['batch', 4] },
    { name: 'state', type: 'FP32', shape: [2, '?', 3] },
    { name: 'sr', type: 'I64', shape: [] },
  ],
  outputs: [{ name: 'y', type: 'FP32', shape: ['batch', 4] }],
};

function good(): NamedTensors {
  return {
    x: { type: 'FP32', dims: [2, 4], data: new Float32Array(8) },
    state: { type: 'FP32', dims: [2, 5, 3], data: new Float32Array(30) },
    sr: { type: 'I64', dims: [], data: BigInt64Array.of(16000n) },
  };
}

function messageOf(inputs: NamedTensors): string {
  try {
    validateInputs(sig, inputs);
  } catch (err) {
    expect(err).toBeInstanceOf(EdgennError);
    expect((err as EdgennError).code).toBe('invalid-argument');
    return (err as Error).message;
  }
  throw new Error('validateInputs accepted bad inputs');
}

describe('validateInputs', () => {
  it('accepts inputs that match, scalars and dynamic dims included', () => {
    expect(() => validateInputs(sig, good())).not.toThrow();
    const zeroRows = { ...good(), x: { type: 'FP32' as const, dims: [0, 4], data: new Float32Array(0) } };
    expect(() => validateInputs(sig, zeroRows)).not.toThrow();
  });

  it('names the input and what was expected for a wrong element type', () => {
    const bad = { ...good(), x: { type: 'I32' as const, dims: [2, 4], data: new Int32Array(8) } };
    expect(messageOf(bad)).toMatch(/^input 'x': expected FP32\[batch,4\], got I32\[2,4\]/);
  });

  it('rejects a wrong rank, a wrong fixed dim, and a data length that disagrees with dims', () => {
    expect(messageOf({ ...good(), x: { type: 'FP32', dims: [8], data: new Float32Array(8) } })).toMatch(/input 'x': expected FP32\[batch,4\], got FP32\[8\].*rank 1 instead of 2/);
    expect(messageOf({ ...good(), state: { type: 'FP32', dims: [3, 5, 3], data: new Float32Array(45) } })).toMatch(/input 'state': expected FP32\[2,\?,3\], got FP32\[3,5,3\].*dimension 0 must be 2/);
    expect(messageOf({ ...good(), x: { type: 'FP32', dims: [2, 4], data: new Float32Array(7) } })).toMatch(/input 'x'.*7 elements, dims need 8/);
    expect(messageOf({ ...good(), x: { type: 'FP32', dims: [2.5, 4], data: new Float32Array(10) } })).toMatch(/input 'x'.*non-negative integers/);
  });

  it('checks scalars (rank 0) and the typed array class', () => {
    expect(messageOf({ ...good(), sr: { type: 'I64', dims: [1], data: BigInt64Array.of(1n) } })).toMatch(/input 'sr': expected I64\[\], got I64\[1\].*scalar has dims \[\]/);
    expect(messageOf({ ...good(), sr: { type: 'I64', dims: [], data: new Float64Array(1) as never } })).toMatch(/input 'sr'.*BigInt64Array, not Float64Array/);
  });

  it('rejects missing and unknown inputs, naming them', () => {
    const { sr: _sr, ...missing } = good();
    expect(messageOf(missing)).toMatch(/input 'sr': expected I64\[\], got nothing/);
    expect(messageOf({ ...good(), extra: { type: 'FP32', dims: [1], data: new Float32Array(1) } })).toMatch(/input 'extra' is not an input of this model; its inputs are 'x' FP32\[batch,4\]/);
  });
});
