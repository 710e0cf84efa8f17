// KServe Open Inference Protocol v2: infer requests and responses as JSON tensors or with the
// binary tensor data extension, shared by the model-host server and its client.
// Binary tensors are viewed (or copied once when misaligned) straight into typed arrays.
import { EdgennError } from '../../wit/errors.ts';
import { TENSOR_ARRAYS, type NamedTensors, type Tensor, type TensorArrayConstructor, type TensorData, type TensorType } from '../../wit/types.ts';

/** The protocol's datatype names that edgenn tensors can carry. */
export type V2Datatype = 'BOOL' | 'UINT8' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'BF16' | 'FP32' | 'FP64';

export const HEADER_LENGTH = 'inference-header-content-length';
export const BINARY_CONTENT_TYPE = 'application/octet-stream';
export const JSON_CONTENT_TYPE = 'application/json';

const TO_V2: Record<TensorType, V2Datatype> = {
  BOOL: 'BOOL',
  U8: 'UINT8',
  I8: 'INT8',
  I16: 'INT16',
  I32: 'INT32',
  I64: 'INT64',
  FP16: 'FP16',
  BF16: 'BF16',
  FP32: 'FP32',
  FP64: 'FP64',
};
const FROM_V2: Record<string, TensorType> = Object.fromEntries(Object.entries(TO_V2).map(([t, d]) => [d, t as TensorType]));
/** Protocol types that exist but that no edgenn tensor carries. */
const UNSUPPORTED_V2 = new Set(['UINT16', 'UINT32', 'UINT64', 'BYTES']);

const ARRAY_OF = TENSOR_ARRAYS as Record<TensorType, TensorArrayConstructor>;

export function toV2Datatype(type: TensorType): V2Datatype {
  const d = TO_V2[type];
  if (!d) throw new EdgennError('invalid-argument', `unknown tensor type '${String(type)}'`);
  return d;
}

export function fromV2Datatype(datatype: unknown, where = 'tensor'): TensorType {
  if (typeof datatype === 'string' && Object.hasOwn(FROM_V2, datatype)) return FROM_V2[datatype]!;
  if (typeof datatype === 'string' && UNSUPPORTED_V2.has(datatype)) {
    throw new EdgennError('unsupported-operation', `${where} has datatype ${datatype}, which edgenn does not carry; use one of ${Object.keys(FROM_V2).join(', ')}`);
  }
  throw new EdgennError('invalid-argument', `${where} has unknown datatype ${JSON.stringify(datatype)}; use one of ${Object.keys(FROM_V2).join(', ')}`);
}

export function bytesPerElement(type: TensorType): number {
  return ARRAY_OF[type].BYTES_PER_ELEMENT;
}

// ---------------------------------------------------------------------------------------------
// Wire shapes (the protocol's JSON)

export type V2Parameters = Record<string, string | number | boolean>;

export interface V2TensorJson {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: V2Parameters;
  data?: unknown[];
}

export interface V2RequestedOutput {
  name: string;
  parameters?: V2Parameters;
}

export interface V2InferRequestJson {
  id?: string;
  parameters?: V2Parameters;
  inputs: V2TensorJson[];
  outputs?: V2RequestedOutput[];
}

export interface V2InferResponseJson {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: V2Parameters;
  outputs: V2TensorJson[];
}

/** An encoded message: body bytes and the headers that must go with it. */
export interface Encoded {
  body: Uint8Array;
  headers: Record<string, string>;
}

export interface DecodeLimits {
  /** Largest tensor accepted, in elements (guards `shape` products before any allocation). */
  maxElements?: number;
}

const DEFAULT_MAX_ELEMENTS = 1 << 30;

// ---------------------------------------------------------------------------------------------
// Framing: JSON header + concatenated binary tensors

/** Splits a body into its JSON header and binary part, checking the header length header. */
export function splitBody(body: Uint8Array, headerLength: string | null | undefined): { json: unknown; binary: Uint8Array } {
  let jsonEnd = body.byteLength;
  if (headerLength !== null && headerLength !== undefined && headerLength !== '') {
    if (!/^\d{1,15}$/.test(headerLength.trim())) {
      throw new EdgennError('invalid-argument', `Inference-Header-Content-Length must be a byte count, got '${headerLength.slice(0, 40)}'`);
    }
    jsonEnd = Number(headerLength.trim());
    if (jsonEnd > body.byteLength) {
      throw new EdgennError('invalid-argument', `Inference-Header-Content-Length says the JSON header has ${jsonEnd} bytes but the whole body has ${body.byteLength}; send the header's real length`);
    }
  }
  const text = Buffer.from(body.buffer, body.byteOffset, jsonEnd).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new EdgennError('invalid-encoding', `the inference header is not valid JSON (${(err as Error).message}); check Inference-Header-Content-Length when sending binary tensors`);
  }
  return { json, binary: body.subarray(jsonEnd) };
}

function frame(json: unknown, parts: Uint8Array[]): Encoded {
  const header = Buffer.from(JSON.stringify(json), 'utf8');
  if (parts.length === 0) return { body: header, headers: { 'content-type': JSON_CONTENT_TYPE } };
  return {
    body: Buffer.concat([header, ...parts]),
    headers: { 'content-type': BINARY_CONTENT_TYPE, [HEADER_LENGTH]: String(header.byteLength) },
  };
}

// ---------------------------------------------------------------------------------------------
// One tensor

function checkShape(shape: unknown, where: string, maxElements: number): number {
  if (!Array.isArray(shape)) throw new EdgennError('invalid-argument', `${where} needs "shape", an array of dimension sizes`);
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new EdgennError('invalid-argument', `${where} has shape ${JSON.stringify(shape)}; dimensions must be whole numbers ≥ 0`);
    }
    n *= d;
    if (n > maxElements) throw new EdgennError('too-large', `${where} has shape ${JSON.stringify(shape)}, more than the ${maxElements} elements a tensor may hold`);
  }
  return n;
}

/** Views `bytes` as the typed array of `type`, copying once only when the offset is misaligned. */
export function viewAs(type: TensorType, bytes: Uint8Array): TensorData {
  const Ctor = ARRAY_OF[type];
  const size = Ctor.BYTES_PER_ELEMENT;
  const src = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes); // Buffer#slice would not copy
  return new Ctor(src.buffer, src.byteOffset, src.byteLength / size);
}

/** The bytes of a tensor's data, without copying. */
export function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Nested `data` deeper than this is refused: no tensor has that many dimensions. */
const MAX_DATA_DEPTH = 64;

/**
 * Nested arrays → one flat list, without recursion: a body nested thousands of levels deep must
 * be refused as bad input, not overflow the stack (a 500).
 */
function flatten(data: unknown[], where: string): unknown[] {
  const out: unknown[] = [];
  const stack: Array<{ list: unknown[]; i: number }> = [{ list: data, i: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.list.length) {
      stack.pop();
      continue;
    }
    const v = top.list[top.i++];
    if (!Array.isArray(v)) {
      out.push(v);
      continue;
    }
    if (stack.length >= MAX_DATA_DEPTH) {
      throw new EdgennError('invalid-argument', `${where} has "data" nested more than ${MAX_DATA_DEPTH} levels deep; send it flat (row-major) or nested once per dimension`);
    }
    stack.push({ list: v, i: 0 });
  }
  return out;
}

/** The values an integer element type can hold; JSON numbers outside them would wrap silently. */
const INT_RANGE: Partial<Record<TensorType, [number, number]>> = {
  U8: [0, 255],
  I8: [-128, 127],
  I16: [-32768, 32767],
  I32: [-2147483648, 2147483647],
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant = (mant | 0x800000) >> (1 - e);
    return sign | ((mant + 0x1000) >> 13);
  }
  const h = sign | (e << 10) | (mant >> 13);
  return mant & 0x1000 ? h + 1 : h; // round half up on the dropped bits
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function floatToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/** JSON `data` (flat or nested, row-major) → typed array. */
function fromJsonData(type: TensorType, values: unknown[], where: string): TensorData {
  const n = values.length;
  const bad = (v: unknown): never => {
    // JSON.parse turns 1e400 into Infinity, which JSON.stringify would show as null.
    const shown = typeof v === 'number' && !Number.isFinite(v) ? `${v} (a number beyond the range JSON numbers can carry)` : JSON.stringify(v);
    throw new EdgennError('invalid-argument', `${where} has ${shown} in "data", which is not a ${toV2Datatype(type)} value`);
  };
  switch (type) {
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'boolean') out[i] = v ? 1 : 0;
        else if (v === 0 || v === 1) out[i] = v;
        else bad(v);
      }
      return out;
    }
    case 'I64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const big = typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : typeof v === 'string' && /^-?\d{1,19}$/.test(v) ? BigInt(v) : undefined;
        // Outside int64 the value would wrap silently into another number.
        if (big === undefined || big !== BigInt.asIntN(64, big)) bad(v);
        out[i] = big!;
      }
      return out;
    }
    case 'FP16':
    case 'BF16': {
      const out = new Uint16Array(n);
      const conv = type === 'FP16' ? floatToHalf : floatToBf16;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) bad(v);
        out[i] = conv(v as number);
      }
      return out;
    }
    default: {
      const Ctor = ARRAY_OF[type] as unknown as { new (n: number): Float64Array };
      const out = new Ctor(n);
      const range = INT_RANGE[type];
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) bad(v);
        if (range && (!Number.isInteger(v) || (v as number) < range[0] || (v as number) > range[1])) bad(v);
        out[i] = v as number;
      }
      return out as unknown as TensorData;
    }
  }
}

/** Typed array → JSON `data` (flat, row-major). INT64 values beyond 2^53 lose precision in JSON: use binary for them. */
function toJsonData(t: Tensor): unknown[] {
  switch (t.type) {
    case 'BOOL':
      return Array.from(t.data as Uint8Array, (v) => v !== 0);
    case 'I64':
      return Array.from(t.data as BigInt64Array, (v) => Number(v));
    case 'FP16':
      return Array.from(t.data as Uint16Array, halfToFloat);
    case 'BF16':
      return Array.from(t.data as Uint16Array, bf16ToFloat);
    default:
      return Array.from(t.data as Float32Array);
  }
}

/** Reads one tensor of a message; `take(n)` hands out the next n binary bytes. */
function readTensor(raw: unknown, where: string, take: (n: number) => Uint8Array, limits: DecodeLimits): [string, Tensor] {
  if (!raw || typeof raw !== 'object') throw new EdgennError('invalid-argument', `${where} must be an object with name, shape, datatype and data`);
  const t = raw as Partial<V2TensorJson>;
  if (typeof t.name !== 'string' || t.name === '') throw new EdgennError('invalid-argument', `${where} needs a "name"`);
  const label = `${where} '${t.name}'`;
  const type = fromV2Datatype(t.datatype, label);
  const n = checkShape(t.shape, label, limits.maxElements ?? DEFAULT_MAX_ELEMENTS);
  const dims = [...(t.shape as number[])];
  const expected = n * bytesPerElement(type);
  const binarySize = t.parameters?.binary_data_size;
  if (binarySize !== undefined) {
    if (typeof binarySize !== 'number' || !Number.isSafeInteger(binarySize) || binarySize < 0) {
      throw new EdgennError('invalid-argument', `${label} has binary_data_size ${JSON.stringify(binarySize)}; it must be a byte count`);
    }
    if (binarySize !== expected) {
      throw new EdgennError('invalid-argument', `${label} has binary_data_size ${binarySize} but shape ${JSON.stringify(dims)} of ${t.datatype} needs ${expected} bytes`);
    }
    if (t.data !== undefined) throw new EdgennError('invalid-argument', `${label} has both "data" and binary_data_size; send one`);
    return [t.name, { type, dims, data: viewAs(type, take(binarySize)) } as Tensor];
  }
  if (!Array.isArray(t.data)) throw new EdgennError('invalid-argument', `${label} needs "data" (a row-major array) or a binary_data_size parameter`);
  const values = flatten(t.data, label);
  if (values.length !== n) {
    throw new EdgennError('invalid-argument', `${label} has ${values.length} values in "data" but shape ${JSON.stringify(dims)} needs ${n}`);
  }
  return [t.name, { type, dims, data: fromJsonData(type, values, label) } as Tensor];
}

function readTensors(list: unknown, where: string, binary: Uint8Array, limits: DecodeLimits): NamedTensors {
  if (!Array.isArray(list)) throw new EdgennError('invalid-argument', `the message needs "${where}s", an array of tensors`);
  let offset = 0;
  const take = (n: number): Uint8Array => {
    if (offset + n > binary.byteLength) {
      throw new EdgennError('invalid-argument', `the binary part has ${binary.byteLength} bytes but the tensors' binary_data_size values add up to more; check Inference-Header-Content-Length`);
    }
    const out = binary.subarray(offset, offset + n);
    offset += n;
    return out;
  };
  const out: NamedTensors = {};
  list.forEach((raw, i) => {
    const [name, tensor] = readTensor(raw, `${where} ${i}`, take, limits);
    if (Object.hasOwn(out, name)) throw new EdgennError('invalid-argument', `${where} '${name}' appears twice`);
    out[name] = tensor;
  });
  if (offset !== binary.byteLength) {
    throw new EdgennError('invalid-argument', `the body has ${binary.byteLength - offset} bytes after the tensors' binary data; binary_data_size values and Inference-Header-Content-Length must add up to the body length`);
  }
  return out;
}

function writeTensor(name: string, t: Tensor, binary: boolean, parts: Uint8Array[]): V2TensorJson {
  const datatype = toV2Datatype(t.type);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) throw new EdgennError('invalid-argument', `tensor '${name}' has ${t.data.length} elements but dims ${JSON.stringify(t.dims)} need ${n}`);
  if (binary) {
    const bytes = bytesOf(t.data);
    parts.push(bytes);
    return { name, shape: [...t.dims], datatype, parameters: { binary_data_size: bytes.byteLength } };
  }
  return { name, shape: [...t.dims], datatype, data: toJsonData(t) };
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface InferRequest {
  id?: string;
  inputs: NamedTensors;
  /** Output names asked for; undefined = all. */
  outputs?: string[];
  /** Whether an output should come back as binary data. */
  binaryOutput(name: string): boolean;
  parameters: V2Parameters;
}

export function decodeInferRequest(body: Uint8Array, headerLength: string | null | undefined, limits: DecodeLimits = {}): InferRequest {
  const { json, binary } = splitBody(body, headerLength);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new EdgennError('invalid-argument', 'the infer request must be a JSON object with "inputs"');
  const req = json as Partial<V2InferRequestJson>;
  const parameters = req.parameters && typeof req.parameters === 'object' ? req.parameters : {};
  const inputs = readTensors(req.inputs, 'input', binary, limits);
  let outputs: string[] | undefined;
  const perOutput = new Map<string, boolean>();
  if (req.outputs !== undefined) {
    if (!Array.isArray(req.outputs)) throw new EdgennError('invalid-argument', '"outputs" must be an array of {"name": …}');
    outputs = req.outputs.map((o, i) => {
      if (!o || typeof o.name !== 'string' || o.name === '') throw new EdgennError('invalid-argument', `output ${i} needs a "name"`);
      const b = o.parameters?.binary_data;
      if (b !== undefined) perOutput.set(o.name, b === true);
      return o.name;
    });
  }
  const all = parameters.binary_data_output === true;
  return {
    ...(typeof req.id === 'string' ? { id: req.id } : {}),
    inputs,
    ...(outputs ? { outputs } : {}),
    binaryOutput: (name) => perOutput.get(name) ?? all,
    parameters,
  };
}

export interface EncodeRequestOptions {
  id?: string;
  /** Send input tensors as binary data (default true). */
  binaryInputs?: boolean;
  /** Ask for outputs as binary data (default true). */
  binaryOutputs?: boolean;
  outputs?: string[];
  parameters?: V2Parameters;
}

export function encodeInferRequest(inputs: NamedTensors, opts: EncodeRequestOptions = {}): Encoded {
  const binaryIn = opts.binaryInputs ?? true;
  const binaryOut = opts.binaryOutputs ?? true;
  const parts: Uint8Array[] = [];
  const json: V2InferRequestJson = {
    ...(opts.id ? { id: opts.id } : {}),
    parameters: { ...opts.parameters, binary_data_output: binaryOut },
    inputs: Object.entries(inputs).map(([name, t]) => writeTensor(name, t, binaryIn, parts)),
    ...(opts.outputs ? { outputs: opts.outputs.map((name) => ({ name, parameters: { binary_data: binaryOut } })) } : {}),
  };
  return frame(json, parts);
}

// ---------------------------------------------------------------------------------------------
// Responses

export interface InferResponse {
  modelName: string;
  modelVersion?: string;
  id?: string;
  outputs: NamedTensors;
}

export function encodeInferResponse(outputs: NamedTensors, meta: { modelName: string; modelVersion?: string; id?: string; binaryOutput: (name: string) => boolean }): Encoded {
  const parts: Uint8Array[] = [];
  const json: V2InferResponseJson = {
    model_name: meta.modelName,
    ...(meta.modelVersion ? { model_version: meta.modelVersion } : {}),
    ...(meta.id ? { id: meta.id } : {}),
    outputs: Object.entries(outputs).map(([name, t]) => writeTensor(name, t, meta.binaryOutput(name), parts)),
  };
  return frame(json, parts);
}

export function decodeInferResponse(body: Uint8Array, headerLength: string | null | undefined, limits: DecodeLimits = {}): InferResponse {
  const { json, binary } = splitBody(body, headerLength);
  if (!json || typeof json !== 'object') throw new EdgennError('invalid-encoding', 'the infer response is not a JSON object');
  const res = json as Partial<V2InferResponseJson>;
  return {
    modelName: String(res.model_name ?? ''),
    ...(typeof res.model_version === 'string' ? { modelVersion: res.model_version } : {}),
    ...(typeof res.id === 'string' ? { id: res.id } : {}),
    outputs: readTensors(res.outputs, 'output', binary, limits),
  };
}
