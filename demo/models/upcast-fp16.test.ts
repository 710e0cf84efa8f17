import { describe, expect, it } from 'vitest';
import { fp16Model } from '../../tests/fixtures/onnx-models.ts';
import { halfToFloatBits, upcastBytes } from './upcast-fp16.ts';

/** IEEE 754 binary16 by arithmetic, independent of the bit manipulation under test. */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  if (exp === 0) return sign * (mant / 1024) * 2 ** -14;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const asFloat = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

describe('upcast-fp16', () => {
  it('converts every one of the 65 536 half values exactly (subnormals, ±0, ±inf and NaN included)', () => {
    for (let h = 0; h < 0x10000; h++) {
      const got = asFloat(halfToFloatBits(h));
      const want = halfValue(h);
      if (Number.isNaN(want)) expect(Number.isNaN(got), `half 0x${h.toString(16)}`).toBe(true);
      else if (!Object.is(got, want)) expect(got, `half 0x${h.toString(16)}`).toBe(want);
    }
  });

  it('rewrites fp16 initializers in both encodings, Cast(to=FLOAT16) and fp16 value types, and is idempotent', () => {
    const model = fp16Model(Uint16Array.from([0x3c00, 0x0001, 0xc000]), Uint16Array.from([0x7bff, 0x8000, 0x3555]));
    const first = upcastBytes(model);
    expect(first.stats).toMatchObject({ tensors: 2, elements: 6, casts: 1, valueTypes: 2 });
    expect(first.stats.bytes).toBe(first.bytes.length);
    // Six halves (12 bytes) became six floats (24 bytes) and the int32_data varints are gone.
    expect(first.bytes.length).toBeGreaterThan(model.length);
    const second = upcastBytes(first.bytes);
    expect(second.stats).toMatchObject({ tensors: 0, elements: 0, casts: 0, valueTypes: 0 });
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
  });

  it('refuses input that is not protobuf rather than writing a broken model', () => {
    expect(() => upcastBytes(Uint8Array.from([0x0f, 0xff, 0xff]))).toThrow(/protobuf/);
  });
});
