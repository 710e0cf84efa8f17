// Rewrites an ONNX model whose weights are FLOAT16 into one that stores and computes in FLOAT:
// fp16 initializers and tensor attributes become fp32, `Cast(to=FLOAT16)` becomes `Cast(to=FLOAT)`
// and fp16 value types become fp32. The demo uses it to turn IS-Net medium (88 MB) into a real
// ≥100 MB model (≈176 MB) for the model-host.
//
// Bounded memory: the input is read once; the output is planned as a list of pieces (views into the
// input, or tensors converted lazily) whose lengths are known up front, so nested message lengths
// are exact before anything is written, and only one converted tensor is in memory at a time.
import { readFileSync } from 'node:fs';
import { Out, concat, fieldText, fields, readVarint, renderPieces, tag, varint, writePiecesAtomically, type Field, type Piece } from './protobuf.ts';

/** ONNX TensorProto.DataType values used here. */
const FLOAT = 1;
const FLOAT16 = 10;

export interface UpcastStats {
  /** Initializers (and tensor attributes) converted from FLOAT16 to FLOAT. */
  tensors: number;
  /** Elements converted. */
  elements: number;
  /** Cast / dtype attributes changed from FLOAT16 to FLOAT. */
  casts: number;
  /** Value types (graph inputs, outputs, value_info) changed from FLOAT16 to FLOAT. */
  valueTypes: number;
  /** Bytes of the rewritten model. */
  bytes: number;
}

/** IEEE 754 half → single, as bits (subnormals, infinities and NaN included). */
export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal half: normalise it, since every half subnormal is a normal single.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

class Rewriter {
  readonly stats: UpcastStats = { tensors: 0, elements: 0, casts: 0, valueTypes: 0, bytes: 0 };
  constructor(private readonly buf: Uint8Array) {}

  private copy(out: Out, f: Field): void {
    out.push(this.buf.subarray(f.tagStart, f.end));
  }

  model(): Out {
    const out = new Out();
    for (const f of fields(this.buf, 0, this.buf.length)) {
      if (f.no === 7 && f.wire === 2) out.nested(7, this.graph(f.start, f.end));
      else this.copy(out, f);
    }
    return out;
  }

  graph(start: number, end: number): Out {
    const out = new Out();
    for (const f of fields(this.buf, start, end)) {
      if (f.wire !== 2) this.copy(out, f);
      else if (f.no === 1) out.nested(1, this.node(f.start, f.end));
      else if (f.no === 5) out.nested(5, this.tensor(f.start, f.end));
      else if (f.no === 11 || f.no === 12 || f.no === 13) out.nested(f.no, this.valueInfo(f.start, f.end));
      else if (f.no === 15 && this.hasFp16Sparse(f.start, f.end)) throw new Error('FLOAT16 sparse initializers are not supported: densify them first');
      else this.copy(out, f);
    }
    return out;
  }

  private hasFp16Sparse(start: number, end: number): boolean {
    for (const f of fields(this.buf, start, end)) if (f.no === 1 && f.wire === 2 && this.dataType(f.start, f.end) === FLOAT16) return true;
    return false;
  }

  private node(start: number, end: number): Out {
    let op = '';
    for (const f of fields(this.buf, start, end)) if (f.no === 4 && f.wire === 2) op = fieldText(this.buf, f);
    const out = new Out();
    for (const f of fields(this.buf, start, end)) {
      if (f.no === 5 && f.wire === 2) out.nested(5, this.attribute(op, f.start, f.end));
      else this.copy(out, f);
    }
    return out;
  }

  private attribute(op: string, start: number, end: number): Out {
    let name = '';
    for (const f of fields(this.buf, start, end)) if (f.no === 1 && f.wire === 2) name = fieldText(this.buf, f);
    // Attributes that name an output element type: Cast's `to`, and `dtype` of EyeLike, Random*, etc.
    const typeAttr = (op === 'Cast' && name === 'to') || name === 'dtype';
    const out = new Out();
    for (const f of fields(this.buf, start, end)) {
      if (f.no === 3 && f.wire === 0 && typeAttr && f.value === FLOAT16) {
        out.varintField(3, FLOAT);
        this.stats.casts++;
      } else if ((f.no === 5 || f.no === 10) && f.wire === 2) out.nested(f.no, this.tensor(f.start, f.end));
      else if ((f.no === 6 || f.no === 11) && f.wire === 2) out.nested(f.no, this.graph(f.start, f.end));
      else this.copy(out, f);
    }
    return out;
  }

  private dataType(start: number, end: number): number {
    let dt = 0;
    for (const f of fields(this.buf, start, end)) if (f.no === 2 && f.wire === 0) dt = f.value;
    return dt;
  }

  /** TensorProto: a FLOAT16 tensor becomes a FLOAT one with raw_data; anything else is copied. */
  private tensor(start: number, end: number): Out {
    const out = new Out();
    if (this.dataType(start, end) !== FLOAT16) {
      out.push(this.buf.subarray(start, end));
      return out;
    }
    let raw: Uint8Array | undefined;
    const int32Data: number[] = [];
    for (const f of fields(this.buf, start, end)) {
      if (f.no === 14 && f.wire === 0 && f.value === 1) throw new Error('FLOAT16 tensors with external data are not supported: load the model with its data inlined');
      if (f.no === 9 && f.wire === 2) raw = this.buf.subarray(f.start, f.end);
      else if (f.no === 5 && f.wire === 2) {
        for (let p = f.start; p < f.end; ) {
          const [v, next] = readVarint(this.buf, p);
          int32Data.push(v);
          p = next;
        }
      }
      else if (f.no === 5 && f.wire === 0) int32Data.push(f.value);
      else if (f.no !== 2) this.copy(out, f);
    }
    // FLOAT16 data lives either in raw_data (little-endian halves) or in int32_data (one half per entry).
    const count = raw ? raw.length >> 1 : int32Data.length;
    const halves = raw ? (i: number) => raw![2 * i]! | (raw![2 * i + 1]! << 8) : (i: number) => int32Data[i]! & 0xffff;
    out.varintField(2, FLOAT);
    out.push(concat(tag(9, 2), varint(count * 4)));
    out.push({
      length: count * 4,
      render: () => {
        const bits = new Uint32Array(count);
        for (let i = 0; i < count; i++) bits[i] = halfToFloatBits(halves(i));
        // Protobuf raw_data is little-endian; so is every machine ONNX Runtime supports.
        return new Uint8Array(bits.buffer);
      },
    });
    this.stats.tensors++;
    this.stats.elements += count;
    return out;
  }

  /** ValueInfoProto: its type (field 2) may name FLOAT16. */
  private valueInfo(start: number, end: number): Out {
    const out = new Out();
    for (const f of fields(this.buf, start, end)) {
      if (f.no === 2 && f.wire === 2) out.nested(2, this.type(f.start, f.end));
      else this.copy(out, f);
    }
    return out;
  }

  /** TypeProto: tensor_type (1) has elem_type; sequence (4) and optional (9) wrap another TypeProto. */
  private type(start: number, end: number): Out {
    const out = new Out();
    for (const f of fields(this.buf, start, end)) {
      if (f.no === 1 && f.wire === 2) out.nested(1, this.tensorType(f.start, f.end));
      else if ((f.no === 4 || f.no === 9) && f.wire === 2) out.nested(f.no, this.wrappedType(f.start, f.end));
      else this.copy(out, f);
    }
    return out;
  }

  private wrappedType(start: number, end: number): Out {
    const out = new Out();
    for (const f of fields(this.buf, start, end)) {
      if (f.no === 1 && f.wire === 2) out.nested(1, this.type(f.start, f.end));
      else this.copy(out, f);
    }
    return out;
  }

  private tensorType(start: number, end: number): Out {
    const out = new Out();
    for (const f of fields(this.buf, start, end)) {
      if (f.no === 1 && f.wire === 0 && f.value === FLOAT16) {
        out.varintField(1, FLOAT);
        this.stats.valueTypes++;
      } else this.copy(out, f);
    }
    return out;
  }
}

/** Plans the rewrite of a whole model held in memory; `write` renders it. */
export function planUpcast(model: Uint8Array): { pieces: Piece[]; stats: UpcastStats } {
  const rewriter = new Rewriter(model);
  const out = rewriter.model();
  rewriter.stats.bytes = out.length;
  return { pieces: out.pieces, stats: rewriter.stats };
}

/** The rewritten model as one buffer (for small models and tests). */
export function upcastBytes(model: Uint8Array): { bytes: Uint8Array; stats: UpcastStats } {
  const { pieces, stats } = planUpcast(model);
  return { bytes: renderPieces(pieces), stats };
}

/**
 * Writes the upcast of `srcPath` to `destPath` through a temp file (fsync, then rename), so a
 * crash leaves either no file or a whole one.
 */
export function upcastFile(srcPath: string, destPath: string): UpcastStats {
  const { pieces, stats } = planUpcast(readFileSync(srcPath));
  writePiecesAtomically(destPath, pieces);
  return stats;
}
