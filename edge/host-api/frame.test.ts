import { describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../wit/types.ts';
import { decodeFrame, encodeFrame, FrameError } from './frame.ts';

const ALL: NamedTensors = {
  f16: { type: 'FP16', dims: [2], data: new Uint16Array([0x3c00, 0xc000]) },
  f32: { type: 'FP32', dims: [2, 2], data: new Float32Array([1.5, -2, 3.25, 1e-7]) },
  f64: { type: 'FP64', dims: [1], data: new Float64Array([Math.PI]) },
  bf16: { type: 'BF16', dims: [1], data: new Uint16Array([0x3f80]) },
  u8: { type: 'U8', dims: [3], data: new Uint8Array([0, 128, 255]) },
  i8: { type: 'I8', dims: [2], data: new Int8Array([-128, 127]) },
  i16: { type: 'I16', dims: [1], data: new Int16Array([-30000]) },
  i32: { type: 'I32', dims: [1], data: new Int32Array([-2_000_000_000]) },
  i64: { type: 'I64', dims: [], data: new BigInt64Array([-(2n ** 62n)]) },
  bool: { type: 'BOOL', dims: [2], data: new Uint8Array([1, 0]) },
  empty: { type: 'FP32', dims: [0, 4], data: new Float32Array(0) },
};

describe('tensor frames', () => {
  it('round-trips every element type, scalars and empty tensors, bit for bit', () => {
    const frame = encodeFrame({ model: 'm@1.0.0' }, ALL);
    const { meta, tensors } = decodeFrame(frame);
    expect(meta).toEqual({ model: 'm@1.0.0' });
    expect(Object.keys(tensors)).toEqual(Object.keys(ALL));
    for (const [name, t] of Object.entries(ALL)) {
      expect(tensors[name]!.type).toBe(t.type);
      expect(tensors[name]!.dims).toEqual(t.dims);
      expect(tensors[name]!.data.constructor).toBe(t.data.constructor);
      expect(Array.from(tensors[name]!.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
  });

  it('decodes from a misaligned buffer by copying what needs alignment', () => {
    const frame = encodeFrame({}, { x: ALL.f64! });
    const shifted = new Uint8Array(frame.byteLength + 3);
    shifted.set(frame, 3);
    expect(Array.from(decodeFrame(shifted.subarray(3)).tensors.x!.data as Float64Array)).toEqual([Math.PI]);
  });

  it('keeps a tensor named __proto__ as a plain key', () => {
    const inputs = {} as NamedTensors;
    Object.defineProperty(inputs, '__proto__', { value: { type: 'U8', dims: [1], data: new Uint8Array([7]) }, enumerable: true });
    const t = decodeFrame(encodeFrame({}, inputs)).tensors;
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
    expect(Object.keys(t)).toEqual(['__proto__']);
  });

  it('refuses data that does not match dims, and unknown types, as invalid-argument', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as FrameError;
      }
      throw new Error('expected a FrameError');
    };
    expect(err(() => encodeFrame({}, { x: { type: 'FP32', dims: [3], data: new Float32Array(2) } })).message).toContain('need 12');
    expect(err(() => encodeFrame({}, { x: { type: 'FP99' as 'FP32', dims: [1], data: new Float32Array(1) } })).code).toBe('invalid-argument');
    expect(err(() => encodeFrame({}, { x: { type: 'FP32', dims: [-1], data: new Float32Array(0) } })).code).toBe('invalid-argument');
  });

  it('refuses frames whose ranges lie, as invalid-encoding', () => {
    const frame = encodeFrame({}, { x: ALL.f32! });
    expect(() => decodeFrame(frame.subarray(0, frame.byteLength - 4))).toThrow(/byte range/);
    const bad = new Uint8Array(frame);
    new DataView(bad.buffer).setUint32(0, 1 << 30, true);
    expect(() => decodeFrame(bad)).toThrow(FrameError);
    expect(() => decodeFrame(new Uint8Array(2))).toThrow(/shorter/);
  });
});
