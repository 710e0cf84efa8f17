// Derives the demo's Silero VAD model: v6 with its sample rate fixed at 16 kHz (the `sr` input
// becomes a constant) and its `input` fixed at 576 samples (64 of context + a 512-sample window).
// Same computation on the inputs the demo sends; but a model the engine can warm on zeros at its
// declared shapes (the original's dynamic [1, 1] input and sr = 0 make its STFT and LSTM fail).
import { Out, bytesField, fieldText, fields, renderPieces, tag, varint, concat } from './protobuf.ts';

export const VAD_INPUT_SAMPLES = 576;
export const VAD_SAMPLE_RATE = 16_000;

const INT64 = 7;
const FLOAT = 1;

/** ValueInfoProto `input: float32[batch, 576]`. */
function fixedInput(): Uint8Array {
  const dim = (d: Uint8Array) => bytesField(1, d);
  const shape = concat(dim(bytesField(2, 'batch')), dim(concat(tag(1, 0), varint(VAD_INPUT_SAMPLES))));
  const tensorType = concat(tag(1, 0), varint(FLOAT), bytesField(2, shape));
  return concat(bytesField(1, 'input'), bytesField(2, bytesField(1, tensorType)));
}

/** TensorProto `sr`: an int64 scalar, 16000. */
function sampleRate(): Uint8Array {
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setBigInt64(0, BigInt(VAD_SAMPLE_RATE), true);
  return concat(tag(2, 0), varint(INT64), bytesField(8, 'sr'), bytesField(9, raw));
}

function valueInfoName(buf: Uint8Array, start: number, end: number): string {
  for (const f of fields(buf, start, end)) if (f.no === 1 && f.wire === 2) return fieldText(buf, f);
  return '';
}

export function fixVadWindow(model: Uint8Array): Uint8Array {
  let sawInput = false;
  let sawSr = false;
  const rewriteGraph = (start: number, end: number): Out => {
    const out = new Out();
    for (const f of fields(model, start, end)) {
      const name = f.no === 11 && f.wire === 2 ? valueInfoName(model, f.start, f.end) : undefined;
      if (name === 'sr') sawSr = true; // dropped: it becomes the initializer below
      else if (name === 'input') {
        sawInput = true;
        out.push(bytesField(11, fixedInput()));
      } else out.push(model.subarray(f.tagStart, f.end));
    }
    out.push(bytesField(5, sampleRate()));
    return out;
  };
  const out = new Out();
  for (const f of fields(model, 0, model.length)) {
    if (f.no === 7 && f.wire === 2) out.nested(7, rewriteGraph(f.start, f.end));
    else out.push(model.subarray(f.tagStart, f.end));
  }
  if (!sawInput || !sawSr) throw new Error(`not a Silero VAD v5/v6 model: its graph has no ${sawInput ? "'sr'" : "'input'"} input`);
  return renderPieces(out.pieces);
}
