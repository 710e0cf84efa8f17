import { describe, expect, it } from 'vitest';
import { EdgennError } from '../../wit/errors.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { decodeInferRequest, decodeInferResponse, encodeInferRequest, encodeInferResponse, fromV2Datatype, toV2Datatype } from './codec.ts';

const inputs = (): NamedTensors => ({
  x: { type: 'FP32', dims: [2, 3], data: Float32Array.from([1, 2, 3, 4.5, -5, 6]) },
  k: { type: 'I64', dims: [], data: BigInt64Array.from([7n]) },
  m: { type: 'BOOL', dims: [3], data: Uint8Array.from([1, 0, 1]) },
  h: { type: 'FP16', dims: [2], data: Uint16Array.from([0x3c00, 0xc000]) }, // 1.0, -2.0
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as EdgennError).code;
  }
  return 'no error';
}

describe('v2 codec', () => {
  it('maps every tensor type to a protocol datatype and back', () => {
    for (const t of ['FP16', 'FP32', 'FP64', 'BF16', 'U8', 'I8', 'I16', 'I32', 'I64', 'BOOL'] as const) expect(fromV2Datatype(toV2Datatype(t))).toBe(t);
    expect(toV2Datatype('U8')).toBe('UINT8');
    expect(codeOf(() => fromV2Datatype('BYTES'))).toBe('unsupported-operation');
    expect(codeOf(() => fromV2Datatype('FLOAT'))).toBe('invalid-argument');
  });

  for (const binary of [true, false]) {
    it(`round-trips a request with ${binary ? 'binary' : 'JSON'} tensors`, () => {
      const enc = encodeInferRequest(inputs(), { binaryInputs: binary, binaryOutputs: binary, outputs: ['y'], id: 'r1' });
      expect(enc.headers['inference-header-content-length'] !== undefined).toBe(binary);
      const req = decodeInferRequest(enc.body, enc.headers['inference-header-content-length']);
      expect(req.id).toBe('r1');
      expect(req.outputs).toEqual(['y']);
      expect(req.binaryOutput('y')).toBe(binary);
      expect(req.inputs).toEqual(inputs());
    });
  }

  it('views binary tensors without copying when aligned, and copies misaligned ones once', () => {
    const enc = encodeInferRequest({ x: inputs().x });
    const req = decodeInferRequest(enc.body, enc.headers['inference-header-content-length']);
    const x = req.inputs.x!.data as Float32Array;
    expect(Array.from(x)).toEqual([1, 2, 3, 4.5, -5, 6]);
    const header = Number(enc.headers['inference-header-content-length']);
    if (header % 4 === 0) expect(x.buffer).toBe((enc.body as Uint8Array).buffer);
    else expect(x.byteOffset % 4).toBe(0);
  });

  it('returns the same tensors from a binary and a JSON response', () => {
    const out = inputs();
    const bin = encodeInferResponse(out, { modelName: 'm', modelVersion: '1.0.0', binaryOutput: () => true });
    const json = encodeInferResponse(out, { modelName: 'm', binaryOutput: () => false });
    const a = decodeInferResponse(bin.body, bin.headers['inference-header-content-length']);
    const b = decodeInferResponse(json.body, undefined);
    expect(a.modelVersion).toBe('1.0.0');
    expect(a.outputs).toEqual(b.outputs);
    expect(JSON.parse(Buffer.from(json.body).toString()).outputs[3].data).toEqual([1, -2]);
  });

  it('accepts nested JSON data and INT64 given as strings', () => {
    const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'INT64', data: [[1, '9007199254740993'], [3, 4]] }] }));
    const req = decodeInferRequest(body, undefined);
    expect(Array.from(req.inputs.x!.data as BigInt64Array)).toEqual([1n, 9007199254740993n, 3n, 4n]);
  });

  it('refuses messages that lie about their sizes', () => {
    const enc = encodeInferRequest({ x: inputs().x });
    const hl = Number(enc.headers['inference-header-content-length']);
    expect(codeOf(() => decodeInferRequest(enc.body, String(enc.body.byteLength + 1)))).toBe('invalid-argument');
    expect(codeOf(() => decodeInferRequest(enc.body, String(hl - 1)))).toBe('invalid-encoding');
    expect(codeOf(() => decodeInferRequest(enc.body, 'abc'))).toBe('invalid-argument');
    expect(codeOf(() => decodeInferRequest(enc.body.subarray(0, enc.body.byteLength - 4), String(hl)))).toBe('invalid-argument');
    expect(codeOf(() => decodeInferRequest(Buffer.concat([enc.body, Buffer.alloc(4)]), String(hl)))).toBe('invalid-argument');
    const wrongSize = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', parameters: { binary_data_size: 20 } }] }));
    expect(codeOf(() => decodeInferRequest(Buffer.concat([wrongSize, Buffer.alloc(20)]), String(wrongSize.byteLength)))).toBe('invalid-argument');
    const tooFew = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2] }] }));
    expect(codeOf(() => decodeInferRequest(tooFew, undefined))).toBe('invalid-argument');
    const huge = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1 << 20, 1 << 20], datatype: 'FP32', data: [] }] }));
    expect(codeOf(() => decodeInferRequest(huge, undefined))).toBe('too-large');
    const badValue = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'INT32', data: [1.5] }] }));
    expect(codeOf(() => decodeInferRequest(badValue, undefined))).toBe('invalid-argument');
    const dup = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }, { name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }));
    expect(codeOf(() => decodeInferRequest(dup, undefined))).toBe('invalid-argument');
  });
});
