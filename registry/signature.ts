// Validates an uploaded file as a loadable ONNX model and reads its signature: inputs and
// outputs from ONNX Runtime, opset / IR version / producer from the ModelProto's top-level fields.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { EdgennError } from '../wit/errors.ts';
import { elementBytes } from '../wit/types.ts';
import { closeSession, openSession } from '../model-host/engine/onnx.ts';
import type { Signature } from './manifest.ts';

export interface ModelHeader {
  irVersion?: number;
  producer?: string;
  /** Highest opset of the default domain ('' or 'ai.onnx'). */
  opset?: number;
  hasGraph: boolean;
}

const WINDOW = 64 * 1024;
/** Top-level strings and opset entries are tiny; anything bigger is not a model we accept. */
const MAX_SMALL_FIELD = 1 << 20;

function invalid(why: string): EdgennError {
  return new EdgennError('invalid-encoding', `not an ONNX model: ${why}; upload the .onnx file exported by your framework`);
}

/** Reads a file front to back through a small window; skipping a field costs nothing. */
class FileCursor {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  private async ensure(n: number): Promise<void> {
    if (this.pos + n > this.size) throw invalid(`the file ends in the middle of a field (offset ${this.pos}, size ${this.size}); it looks truncated`);
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    const len = Math.min(Math.max(n, WINDOW), this.size - this.pos);
    const buf = Buffer.alloc(len);
    const { bytesRead } = await this.fh.read(buf, 0, len, this.pos);
    if (bytesRead < n) throw invalid('the file changed while it was read');
    this.buf = buf.subarray(0, bytesRead);
    this.bufStart = this.pos;
  }

  async byte(): Promise<number> {
    await this.ensure(1);
    return this.buf[this.pos++ - this.bufStart]!;
  }

  async varint(): Promise<bigint> {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = await this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw invalid('a varint is longer than 10 bytes');
  }

  async bytes(n: number): Promise<Buffer> {
    await this.ensure(n);
    const start = this.pos - this.bufStart;
    this.pos += n;
    return Buffer.from(this.buf.subarray(start, start + n));
  }

  skip(n: number): void {
    if (this.pos + n > this.size) throw invalid(`a field of ${n} bytes at offset ${this.pos} runs past the end of the ${this.size}-byte file; it looks truncated`);
    this.pos += n;
  }
}

/** Decodes an in-memory protobuf message into field → values (varints and byte strings only). */
function decodeSmall(buf: Buffer): Map<number, Array<bigint | Buffer>> {
  const out = new Map<number, Array<bigint | Buffer>>();
  let i = 0;
  const varint = (): bigint => {
    let r = 0n;
    for (let s = 0n; s < 70n; s += 7n) {
      if (i >= buf.length) throw invalid('an opset entry is cut short');
      const b = buf[i++]!;
      r |= BigInt(b & 0x7f) << s;
      if ((b & 0x80) === 0) return r;
    }
    throw invalid('a varint is longer than 10 bytes');
  };
  while (i < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    const list = out.get(field) ?? [];
    out.set(field, list);
    if (wire === 0) list.push(varint());
    else if (wire === 2) {
      const n = Number(varint());
      if (i + n > buf.length) throw invalid('an opset entry is cut short');
      list.push(buf.subarray(i, i + n));
      i += n;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw invalid(`wire type ${wire} inside an opset entry`);
  }
  return out;
}

/**
 * Walks the ModelProto's top-level fields without loading the graph (field 7 is skipped by its
 * length), so a multi-gigabyte file costs a few reads. Throws invalid-encoding on malformed bytes.
 */
export async function readModelHeader(path: string): Promise<ModelHeader> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size === 0) throw invalid('the upload is empty');
    const c = new FileCursor(fh, size);
    const header: ModelHeader = { hasGraph: false };
    // ModelProto: 1 ir_version (varint), 2 producer_name, 3 producer_version, 4 domain,
    // 5 model_version (varint), 6 doc_string, 7 graph, 8 opset_import, 14 metadata_props, ...
    const expected: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2 };
    while (c.pos < size) {
      const key = await c.varint();
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (field === 0) throw invalid(`field number 0 at offset ${c.pos}`);
      if (expected[field] !== undefined && expected[field] !== wire) throw invalid(`field ${field} of ModelProto has wire type ${wire}, expected ${expected[field]}`);
      if (wire === 0) {
        const v = await c.varint();
        if (field === 1) header.irVersion = Number(v);
      } else if (wire === 1) c.skip(8);
      else if (wire === 5) c.skip(4);
      else if (wire === 2) {
        const len = await c.varint();
        if (len > BigInt(size)) throw invalid(`a field claims ${len} bytes in a ${size}-byte file; it looks truncated`);
        const n = Number(len);
        if (field === 2 || field === 8) {
          if (n > MAX_SMALL_FIELD) throw invalid(`field ${field} is ${n} bytes long`);
          const bytes = await c.bytes(n);
          if (field === 2) header.producer = bytes.toString('utf8');
          else {
            const entry = decodeSmall(bytes);
            const domain = entry.get(1)?.[0];
            const version = entry.get(2)?.[0];
            const d = Buffer.isBuffer(domain) ? domain.toString('utf8') : '';
            if ((d === '' || d === 'ai.onnx') && typeof version === 'bigint') header.opset = Math.max(header.opset ?? 0, Number(version));
          }
        } else {
          if (field === 7) header.hasGraph = true;
          c.skip(n);
        }
      } else throw invalid(`unsupported protobuf wire type ${wire} at offset ${c.pos}`);
    }
    if (!header.hasGraph) throw invalid('it has no graph (valid protobuf, but not a ModelProto)');
    return header;
  } finally {
    await fh.close();
  }
}

/** Bytes per element of each tensor type, for the declared-size check. */

/** The engine refuses to warm an input larger than this (model-host/engine/ort-backend.ts MAX_WARMUP_BYTES). */
const MAX_DECLARED_INPUT_BYTES = 2 ** 31;

/**
 * A model whose fixed input dimensions need more than 2 GiB per input (dynamic dims counted as 1)
 * can never be warmed or run by any host: refuse it at publish instead of storing a model that
 * every load would then fail on.
 */
export function checkDeclaredSizes(signature: Signature): void {
  for (const spec of signature.inputs) {
    const bytes = spec.shape.reduce<number>((n, d) => n * (typeof d === 'number' ? d : 1), elementBytes(spec.type));
    if (!Number.isSafeInteger(bytes) || bytes > MAX_DECLARED_INPUT_BYTES) {
      throw new EdgennError(
        'too-large',
        `input '${spec.name}' declares shape [${spec.shape.join(',')}] of ${spec.type}, ${bytes} bytes for one sample; no host can warm or run it (limit ${MAX_DECLARED_INPUT_BYTES} bytes): export the model with smaller or dynamic dimensions`,
      );
    }
  }
}

/**
 * Full validation: the header walk, then a real ONNX Runtime session (which proves the model
 * loads and gives the I/O signature). Throws invalid-encoding (400) or unsupported-operation (422).
 */
export async function readModelSignature(path: string): Promise<Signature> {
  const header = await readModelHeader(path);
  const { session, signature } = await openSession(path, { intraOpNumThreads: 1 });
  await closeSession(session).catch(() => {});
  checkDeclaredSizes(signature);
  return {
    ...signature,
    ...(header.opset !== undefined ? { opset: header.opset } : {}),
    ...(header.irVersion !== undefined ? { irVersion: header.irVersion } : {}),
    ...(header.producer ? { producer: header.producer } : {}),
  };
}
