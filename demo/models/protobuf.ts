// Just enough protobuf for rewriting ONNX models: a field reader over a buffer, and an output
// planned as pieces (views into the input, or bytes rendered lazily) whose lengths are known up
// front, so nested message lengths are exact before anything is written.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/** A piece of the output: bytes (often a view into the input), or a tensor converted when written. */
export type Piece = Uint8Array | { length: number; render(): Uint8Array };

export class Out {
  readonly pieces: Piece[] = [];
  length = 0;
  push(p: Piece): void {
    this.pieces.push(p);
    this.length += p.length;
  }
  /** A length-delimited field wrapping `inner`. */
  nested(field: number, inner: Out): void {
    this.push(concat(tag(field, 2), varint(inner.length)));
    for (const p of inner.pieces) this.push(p);
  }
  varintField(field: number, value: number): void {
    this.push(concat(tag(field, 0), varint(value)));
  }
}

export function varint(value: number): Uint8Array {
  const out: number[] = [];
  let n = value;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Uint8Array.from(out);
}

export function tag(field: number, wire: number): Uint8Array {
  return varint(field * 8 + wire);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface Field {
  no: number;
  wire: number;
  /** Where the field's tag starts (for copying the field verbatim). */
  tagStart: number;
  /** Where its value starts (after the length prefix for wire type 2). */
  start: number;
  end: number;
  /** The value of a varint field (exact up to 2^53). */
  value: number;
}

export function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new Error('truncated protobuf varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, pos];
  }
  throw new Error('malformed protobuf varint');
}

export function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const tagStart = pos;
    const [key, p] = readVarint(buf, pos);
    pos = p;
    const no = Math.floor(key / 8);
    const wire = key % 8;
    let value = 0;
    let valueStart = pos;
    switch (wire) {
      case 0:
        [value, pos] = readVarint(buf, pos);
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const [len, q] = readVarint(buf, pos);
        valueStart = q;
        pos = q + len;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${wire} at byte ${tagStart}`);
    }
    if (pos > end) throw new Error(`protobuf field ${no} at byte ${tagStart} runs past its message`);
    yield { no, wire, tagStart, start: valueStart, end: pos, value };
  }
}

/** A length-delimited field holding `value` (bytes, or a string as UTF-8). */
export function bytesField(field: number, value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  return concat(tag(field, 2), varint(bytes.length), bytes);
}

/** All pieces rendered into one buffer (for small models and tests). */
export function renderPieces(pieces: Piece[]): Uint8Array {
  return concat(...pieces.map((p) => (p instanceof Uint8Array ? p : p.render())));
}

/** The UTF-8 string of a length-delimited field. */
export function fieldText(buf: Uint8Array, f: Field): string {
  return new TextDecoder().decode(buf.subarray(f.start, f.end));
}

/**
 * Writes the pieces to `path` through a temp file (fsync, then rename), rendering lazy pieces one
 * at a time: a crash leaves either no file or a whole one, and memory holds one piece at most.
 */
export function writePiecesAtomically(path: string, pieces: Piece[]): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    for (const p of pieces) {
      const bytes = p instanceof Uint8Array ? p : p.render();
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
