// The binary framing of tensors between the env.AI binding (inside workerd) and the host API:
// a small JSON header (names, types, dims, byte ranges) and the raw little-endian bytes after it.
// Runs on both sides, so it uses only web-platform APIs (no Node imports).
import { TENSOR_ARRAYS, TENSOR_TYPES, elementBytes, type NamedTensors, type Tensor, type TensorArrayConstructor, type TensorType } from '../../wit/types.ts';

export const FRAME_CONTENT_TYPE = 'application/vnd.edgenn.tensors';
/** The per-process secret the binding sends to the host API. */
export const KEY_HEADER = 'x-edgenn-key';
/** Epoch milliseconds after which the request that made the call is over. */
export const DEADLINE_HEADER = 'x-edgenn-deadline';

/** Bytes per element of each tensor type. */
export const ELEMENT_BYTES: Record<TensorType, number> = Object.fromEntries(TENSOR_TYPES.map((t) => [t, elementBytes(t)])) as Record<TensorType, number>;
const ARRAY_OF = TENSOR_ARRAYS as Record<TensorType, TensorArrayConstructor>;

/** Thrown for a frame that does not parse; both sides map it to `invalid-encoding` / `invalid-argument`. */
export class FrameError extends Error {
  constructor(
    readonly code: 'invalid-encoding' | 'invalid-argument' | 'too-large',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

interface TensorEntry {
  name: string;
  type: TensorType;
  dims: number[];
  /** Byte offset of the data from the start of the frame (a multiple of 8). */
  offset: number;
  length: number;
}

interface FrameHeader {
  meta: Record<string, unknown>;
  tensors: TensorEntry[];
}

/** Largest number of tensors or dims one frame may carry: far above any real model, low enough to bound parsing. */
const MAX_TENSORS = 4096;
const MAX_RANK = 32;

const align8 = (n: number): number => (n + 7) & ~7;

function elementCount(dims: number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

function isTensorType(t: unknown): t is TensorType {
  return typeof t === 'string' && Object.hasOwn(ELEMENT_BYTES, t);
}

/** Checks one tensor as the caller handed it and returns its raw bytes (a view, not a copy). */
function tensorBytes(name: string, t: Tensor): Uint8Array {
  if (!t || typeof t !== 'object') throw new FrameError('invalid-argument', `tensor '${name}' must be { type, dims, data }`);
  if (!isTensorType(t.type)) throw new FrameError('invalid-argument', `tensor '${name}' has unknown type ${JSON.stringify(t.type)}; use one of ${Object.keys(ELEMENT_BYTES).join(', ')}`);
  if (!Array.isArray(t.dims) || t.dims.length > MAX_RANK || !t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FrameError('invalid-argument', `tensor '${name}' needs dims as an array of at most ${MAX_RANK} non-negative integers`);
  }
  const data = t.data as ArrayBufferView | undefined;
  if (!data || !ArrayBuffer.isView(data) || data instanceof DataView) throw new FrameError('invalid-argument', `tensor '${name}' needs data as a typed array (${t.type} → ${ARRAY_OF[t.type].name})`);
  const expected = elementCount(t.dims) * ELEMENT_BYTES[t.type];
  if (data.byteLength !== expected) {
    throw new FrameError('invalid-argument', `tensor '${name}' has ${data.byteLength} bytes of data but dims [${t.dims.join(', ')}] of ${t.type} need ${expected}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Checks a caller's `outputs` option (RunOptions.outputs): undefined, or a non-empty list of
 * distinct non-empty names. Whether the model HAS those outputs is the engine's check.
 */
export function checkOutputNames(outputs: unknown): string[] | undefined {
  if (outputs === undefined) return undefined;
  const usage = 'outputs must be a non-empty array of output names, e.g. { outputs: [\'y\'] }; leave it out for every output';
  if (!Array.isArray(outputs) || outputs.length === 0 || outputs.length > MAX_TENSORS) throw new FrameError('invalid-argument', usage);
  for (const o of outputs) if (typeof o !== 'string' || o === '' || o.length > 4096) throw new FrameError('invalid-argument', usage);
  if (new Set(outputs).size !== outputs.length) throw new FrameError('invalid-argument', `outputs names an output twice (${outputs.join(', ')}); name each once`);
  return [...(outputs as string[])];
}

/** Encodes `meta` and tensors into one frame: u32 LE header length, header JSON, then 8-aligned raw data. */
export function encodeFrame(meta: Record<string, unknown>, tensors: NamedTensors): Uint8Array {
  const names = Object.keys(tensors ?? {});
  if (names.length > MAX_TENSORS) throw new FrameError('too-large', `at most ${MAX_TENSORS} tensors per call`);
  const bytes = names.map((n) => tensorBytes(n, tensors[n]!));
  // Offsets depend on the header length, which depends on the offsets: lay out relative to the data start first.
  const rel: number[] = [];
  let cursor = 0;
  for (const b of bytes) {
    rel.push(cursor);
    cursor = align8(cursor + b.byteLength);
  }
  const entries = (base: number): TensorEntry[] =>
    names.map((name, i) => ({ name, type: tensors[name]!.type, dims: [...tensors[name]!.dims], offset: base + rel[i]!, length: bytes[i]!.byteLength }));
  // Fix the width of every offset by trying the header once, then padding it to a stable size.
  let base = 0;
  let headerText = '';
  for (let i = 0; i < 4; i++) {
    headerText = JSON.stringify({ meta, tensors: entries(base) } satisfies FrameHeader);
    const next = align8(4 + new TextEncoder().encode(headerText).byteLength);
    if (next === base) break;
    base = next;
  }
  const header = new TextEncoder().encode(headerText);
  if (align8(4 + header.byteLength) > base) throw new FrameError('invalid-encoding', 'frame header did not settle');
  const out = new Uint8Array(base + cursor);
  new DataView(out.buffer).setUint32(0, header.byteLength, true);
  out.set(header, 4);
  bytes.forEach((b, i) => out.set(b, base + rel[i]!));
  return out;
}

/**
 * Decodes a frame. Tensor data are views on `buffer` when aligned, copies otherwise, so the
 * caller owns the result. Every length and offset is checked against the frame before use.
 */
export function decodeFrame(frame: Uint8Array): { meta: Record<string, unknown>; tensors: NamedTensors } {
  if (frame.byteLength < 4) throw new FrameError('invalid-encoding', 'tensor frame shorter than its 4-byte header length');
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0, true);
  if (4 + headerLength > frame.byteLength) throw new FrameError('invalid-encoding', 'tensor frame header runs past the end of the frame');
  let header: FrameHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + headerLength))) as FrameHeader;
  } catch {
    throw new FrameError('invalid-encoding', 'tensor frame header is not JSON');
  }
  if (!header || typeof header !== 'object' || !Array.isArray(header.tensors) || header.tensors.length > MAX_TENSORS) {
    throw new FrameError('invalid-encoding', 'tensor frame header needs a tensors list');
  }
  const tensors: NamedTensors = {};
  for (const e of header.tensors) {
    if (!e || typeof e.name !== 'string' || !isTensorType(e.type)) throw new FrameError('invalid-encoding', 'tensor frame entry needs a name and a known type');
    if (!Array.isArray(e.dims) || e.dims.length > MAX_RANK || !e.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new FrameError('invalid-encoding', `tensor '${e.name}' has invalid dims`);
    }
    const size = ELEMENT_BYTES[e.type];
    const count = elementCount(e.dims);
    if (!Number.isSafeInteger(e.offset) || !Number.isSafeInteger(e.length) || e.offset < 4 + headerLength || e.length !== count * size || e.offset + e.length > frame.byteLength) {
      throw new FrameError('invalid-encoding', `tensor '${e.name}' has a byte range that does not match its dims or the frame`);
    }
    if (Object.hasOwn(tensors, e.name)) throw new FrameError('invalid-encoding', `tensor '${e.name}' appears twice`);
    const start = frame.byteOffset + e.offset;
    const buffer = start % size === 0 ? (frame.buffer as ArrayBuffer) : frame.slice(e.offset, e.offset + e.length).buffer;
    const at = start % size === 0 ? start : 0;
    const tensor = { type: e.type, dims: [...e.dims], data: new ARRAY_OF[e.type](buffer, at, count) } as Tensor;
    // defineProperty, not assignment: a tensor named `__proto__` must stay a plain key.
    Object.defineProperty(tensors, e.name, { value: tensor, enumerable: true, writable: true, configurable: true });
  }
  const meta = header.meta && typeof header.meta === 'object' ? header.meta : {};
  return { meta, tensors };
}
