// Property tests (fast-check, seeded, bounded) for the KServe v2 request decoder: whatever bytes
// or JSON arrive, it either yields tensors whose bytes match dims × element size or throws an
// EdgennError with a 4xx status — never another exception; and encode → decode is lossless.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EdgennError } from '../../wit/errors.ts';
import type { NamedTensors, Tensor, TensorType } from '../../wit/types.ts';
import { bytesOf, bytesPerElement, decodeInferRequest, encodeInferRequest, encodeInferResponse, decodeInferResponse } from '../../model-host/v2/codec.ts';

const SEED = 0x5eed;
const TYPES: TensorType[] = ['BOOL', 'U8', 'I8', 'I16', 'I32', 'I64', 'FP16', 'BF16', 'FP32', 'FP64'];
const V2_NAMES = ['BOOL', 'UINT8', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64'];

/** The decoder's contract on any input: well-formed tensors out, or a 4xx EdgennError. */
function decodeOrRefuse(body: Uint8Array, headerLength: string | undefined): void {
  let decoded;
  try {
    decoded = decodeInferRequest(body, headerLength, { maxElements: 1 << 20 });
  } catch (err) {
    if (!(err instanceof EdgennError)) throw new Error(`decoder threw a ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    expect(err.status).toBeGreaterThanOrEqual(400);
    expect(err.status).toBeLessThan(500);
    expect(err.message.length).toBeGreaterThan(10);
    return;
  }
  for (const t of Object.values(decoded.inputs)) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    expect(t.data.length).toBe(n);
    expect(t.data.byteLength).toBe(n * bytesPerElement(t.type));
  }
}

const arbHeaderLength = (bodyLength: number) => fc.oneof(fc.constant(undefined), fc.nat({ max: bodyLength + 8 }).map(String), fc.string({ maxLength: 6 }));

/** Requests that are nearly right: real field names, small shapes, mixed good and bad values. */
const arbValue = fc.oneof(fc.integer({ min: -300, max: 300 }), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 3 }), fc.constant('9223372036854775808'), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String));
const arbShape = fc.array(fc.oneof(fc.nat({ max: 4 }), fc.integer({ min: -2, max: 2 }), fc.constant(2 ** 31), fc.double()), { maxLength: 4 });
const arbTensorJson = fc.record(
  {
    name: fc.oneof(fc.constantFrom('x', 'y', '', '__proto__', 'constructor'), fc.string({ maxLength: 4 })),
    shape: arbShape,
    datatype: fc.oneof(fc.constantFrom(...V2_NAMES, 'UINT64', 'BYTES'), fc.string({ maxLength: 5 })),
    data: fc.array(fc.oneof(arbValue, fc.array(arbValue, { maxLength: 4 })), { maxLength: 16 }),
    parameters: fc.record({ binary_data_size: fc.oneof(fc.nat({ max: 64 }), fc.integer({ min: -4, max: 4 }), fc.double(), fc.string({ maxLength: 2 })) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

describe('decodeInferRequest on hostile input', () => {
  it('arbitrary bytes never crash or hang the decoder', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }).chain((b) => fc.tuple(fc.constant(b), arbHeaderLength(b.length))),
        ([body, header]) => decodeOrRefuse(body, header),
      ),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('arbitrary JSON values never crash the decoder', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, wrap) => {
        const body = Buffer.from(JSON.stringify(wrap ? { inputs: value } : value) ?? 'null');
        decodeOrRefuse(body, undefined);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('nearly-valid requests, JSON or binary framed, decode consistently or are refused with 4xx', () => {
    fc.assert(
      fc.property(
        fc.array(arbTensorJson, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 96 }),
        fc.constantFrom('json', 'binary', 'lying'),
        fc.jsonValue({ maxDepth: 2 }),
        (inputs, tail, framing, outputs) => {
          const header = Buffer.from(JSON.stringify({ inputs, outputs, parameters: { binary_data_output: true } }));
          if (framing === 'json') return decodeOrRefuse(header, undefined);
          const body = Buffer.concat([header, tail]);
          const claim = framing === 'binary' ? header.length : (header.length * 7 + tail.length) % (body.length + 3);
          return decodeOrRefuse(body, String(claim));
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('deeply nested data is refused as bad input, not a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 20_000 }), (levels) => {
        const body = Buffer.from(`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":${'['.repeat(levels)}1${']'.repeat(levels)}}]}`);
        decodeOrRefuse(body, undefined);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });
});

// ---- round trips ------------------------------------------------------------------------------

function arbTensor(type: TensorType, jsonSafe: boolean): fc.Arbitrary<Tensor> {
  return fc.array(fc.nat({ max: 4 }), { maxLength: 3 }).chain((dims) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = (() => {
      switch (type) {
        case 'BOOL':
          return fc.uint8Array({ min: 0, max: 1, minLength: n, maxLength: n });
        case 'U8':
          return fc.uint8Array({ minLength: n, maxLength: n });
        case 'I8':
          return fc.int8Array({ minLength: n, maxLength: n });
        case 'I16':
          return fc.int16Array({ minLength: n, maxLength: n });
        case 'I32':
          return fc.int32Array({ minLength: n, maxLength: n });
        case 'I64':
          // JSON carries INT64 as numbers: exact only within ±2^53 (binary carries any value).
          return jsonSafe
            ? fc.array(fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }), { minLength: n, maxLength: n }).map((a) => BigInt64Array.from(a))
            : fc.bigInt64Array({ minLength: n, maxLength: n });
        case 'FP16':
        case 'BF16':
          // Finite values only in JSON (JSON has no NaN or Infinity): exponent bits not all ones.
          return fc
            .array(fc.integer({ min: 0, max: 0xffff }), { minLength: n, maxLength: n })
            .map((a) => Uint16Array.from(a, (v) => (jsonSafe && (type === 'FP16' ? (v & 0x7c00) === 0x7c00 : (v & 0x7f80) === 0x7f80) ? v & ~0x4000 : v)));
        case 'FP32':
          return fc.float32Array({ minLength: n, maxLength: n, noNaN: jsonSafe, noDefaultInfinity: jsonSafe });
        case 'FP64':
          return fc.float64Array({ minLength: n, maxLength: n, noNaN: jsonSafe, noDefaultInfinity: jsonSafe });
      }
    })() as fc.Arbitrary<Tensor['data']>;
    return data.map((d) => ({ type, dims, data: d }) as Tensor);
  });
}

/** Equal bytes; in JSON, -0 travels as 0 (and FP16/BF16 -0 as +0), which is the same number. */
function sameTensor(got: Tensor, want: Tensor, exact: boolean): void {
  expect(got.type).toBe(want.type);
  expect(got.dims).toEqual(want.dims);
  if (exact) {
    expect(Buffer.from(bytesOf(got.data)).equals(Buffer.from(bytesOf(want.data)))).toBe(true);
    return;
  }
  const zeroed = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>, (v) => (t.type === 'FP16' && v === 0x8000) || (t.type === 'BF16' && v === 0x8000) ? 0 : typeof v === 'number' && v === 0 ? 0 : v);
  expect(zeroed(got)).toEqual(zeroed(want));
}

describe.each(TYPES)('round trip of %s tensors', (type) => {
  it.each([
    ['binary', true],
    ['JSON', false],
  ] as const)('encode → decode over %s keeps every value', (_mode, binary) => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'input-1', 'x'), arbTensor(type, !binary), { minKeys: 1, maxKeys: 3 }), (inputs: NamedTensors) => {
        const req = encodeInferRequest(inputs, { binaryInputs: binary, binaryOutputs: binary, id: 'r1' });
        const decoded = decodeInferRequest(req.body, req.headers['inference-header-content-length']);
        expect(Object.keys(decoded.inputs).sort()).toEqual(Object.keys(inputs).sort());
        for (const [name, t] of Object.entries(inputs)) sameTensor(decoded.inputs[name]!, t, binary);
        expect(decoded.binaryOutput('a')).toBe(binary);

        const res = encodeInferResponse(inputs, { modelName: 'm', modelVersion: '1.0.0', binaryOutput: () => binary });
        const back = decodeInferResponse(res.body, res.headers['inference-header-content-length']);
        for (const [name, t] of Object.entries(inputs)) sameTensor(back.outputs[name]!, t, binary);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});
