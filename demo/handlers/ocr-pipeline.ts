// PP-OCRv4 around three small models: det (where is text) → cls (is a line upside down) → rec
// (which characters, CTC). Plain functions so tests run them on real ONNX Runtime; Web APIs only,
// since the OCR handler bundles them into workerd.
import type { Tensor } from '../../wit/types.ts';
import type { Infer } from './infer.ts';
import { crop, resizeBilinear, rotate180, type RgbImage } from './image.ts';

export const OCR_MODELS = { det: 'ocr-det', cls: 'ocr-cls', rec: 'ocr-rec' } as const;

/** Four corners, clockwise from the top left, in the picture's pixels (as PaddleOCR reports them). */
export type Box = [[number, number], [number, number], [number, number], [number, number]];

export interface OcrLine {
  text: string;
  /** Mean probability of the characters read (0…1). */
  confidence: number;
  box: Box;
}

export interface OcrOptions {
  /** Longest side given to the detector (PaddleOCR's limit_side_len). */
  maxSide?: number;
  /** Probability above which a pixel of the detector's map is text. */
  threshold?: number;
  /** Mean probability a region needs to count as a line (PaddleOCR's box_thresh). */
  boxThreshold?: number;
  /** Growth of a region, as a multiple of area / perimeter (PaddleOCR's unclip_ratio). */
  unclipRatio?: number;
  /** Lines read with less confidence are dropped (PaddleOCR's drop_score). */
  minConfidence?: number;
}

const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
const CLS_HEIGHT = 48;
const CLS_WIDTH = 192;
const REC_HEIGHT = 48;
/** PaddleOCR pads recogniser batches to at least 320 wide (its rec_image_shape 3×48×320). */
const REC_MIN_WIDTH = 320;
/** A bound on one line's width, so a pathological crop cannot make a huge tensor. */
const REC_MAX_WIDTH = 3200;
/** Lines per recogniser call: similar widths batch together with little padding. */
const REC_BATCH = 8;

/** RGB → NCHW floats, `(x / 255 − mean) / std` per channel, written into `out` at `offset` with row stride `stride`. */
function toPlanes(src: Float32Array, w: number, h: number, out: Float32Array, offset: number, stride: number, planeSize: number, mean: readonly number[], std: readonly number[]): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out[offset + c * planeSize + y * stride + x] = (src[s + c]! / 255 - mean[c]!) / std[c]!;
    }
  }
}

/** The detector's input: both sides scaled to multiples of 32, the longer at most `maxSide`. */
export function detInput(img: RgbImage, maxSide = 960): Tensor<'FP32'> {
  const ratio = Math.min(1, maxSide / Math.max(img.width, img.height));
  const w = Math.max(32, Math.round((img.width * ratio) / 32) * 32);
  const h = Math.max(32, Math.round((img.height * ratio) / 32) * 32);
  const resized = resizeBilinear(img.data, img.width, img.height, 3, w, h);
  const data = new Float32Array(3 * w * h);
  toPlanes(resized, w, h, data, 0, w, w * h, IMAGENET_MEAN, IMAGENET_STD);
  return { type: 'FP32', dims: [1, 3, h, w], data };
}

interface Region {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  score: number;
}

/** Connected regions (8-neighbour) of the map above `threshold`, with their bounds and mean probability. */
export function textRegions(map: Float32Array, w: number, h: number, threshold: number): Region[] {
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  const regions: Region[] = [];
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || map[start]! <= threshold) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x0 = w, y0 = h, x1 = -1, y1 = -1, sum = 0, count = 0;
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % w;
      const y = (p - x) / w;
      sum += map[p]!;
      count++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= w) continue;
          const q = ny * w + nx;
          if (!seen[q] && map[q]! > threshold) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    regions.push({ x0, y0, x1: x1 + 1, y1: y1 + 1, score: sum / count });
  }
  return regions;
}

/**
 * The detector's probability map → line boxes in the picture's pixels: regions above the
 * threshold, kept when confident, grown by area·ratio/perimeter (the map marks a shrunk text
 * kernel), scaled back and clamped; sorted top to bottom, then left to right.
 */
export function detBoxes(map: Tensor, imgWidth: number, imgHeight: number, opts: OcrOptions = {}): Box[] {
  const [, , mh, mw] = map.dims;
  if (map.type !== 'FP32' || map.dims.length !== 4 || !mh || !mw) throw new Error(`the detector returned ${map.type}[${map.dims.join(', ')}], expected FP32[1, 1, H, W]`);
  const { threshold = 0.3, boxThreshold = 0.6, unclipRatio = 1.5 } = opts;
  const sx = imgWidth / mw;
  const sy = imgHeight / mh;
  const rects: { x0: number; y0: number; x1: number; y1: number }[] = [];
  for (const r of textRegions(map.data as Float32Array, mw, mh, threshold)) {
    const w = r.x1 - r.x0;
    const h = r.y1 - r.y0;
    if (Math.min(w, h) < 3 || r.score < boxThreshold) continue;
    const grow = (w * h * unclipRatio) / (2 * (w + h));
    const x0 = Math.max(0, Math.floor((r.x0 - grow) * sx));
    const y0 = Math.max(0, Math.floor((r.y0 - grow) * sy));
    const x1 = Math.min(imgWidth, Math.ceil((r.x1 + grow) * sx));
    const y1 = Math.min(imgHeight, Math.ceil((r.y1 + grow) * sy));
    if (x1 - x0 >= 3 && y1 - y0 >= 3) rects.push({ x0, y0, x1, y1 });
  }
  // Reading order: by top edge, but boxes whose tops are within 10 px are on one row, left to right.
  rects.sort((a, b) => (Math.abs(a.y0 - b.y0) < 10 ? a.x0 - b.x0 : a.y0 - b.y0));
  return rects.map(({ x0, y0, x1, y1 }) => [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
}

/** Crops at `height`, aspect kept, at most `maxWidth` wide, normalised `(x/255 − 0.5)/0.5`, right-padded with zeros to `width`. */
function linesTensor(crops: RgbImage[], height: number, width: number, maxWidth: number): Tensor<'FP32'> {
  const plane = height * width;
  const data = new Float32Array(crops.length * 3 * plane);
  crops.forEach((c, i) => {
    const w = Math.max(1, Math.min(maxWidth, Math.ceil((height * c.width) / c.height)));
    const resized = resizeBilinear(c.data, c.width, c.height, 3, w, height);
    toPlanes(resized, w, height, data, i * 3 * plane, width, plane, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
  });
  return { type: 'FP32', dims: [crops.length, 3, height, width], data };
}

/** The direction classifier's input: 48 high, at most 192 wide, padded to 192. */
export function clsInput(crops: RgbImage[]): Tensor<'FP32'> {
  return linesTensor(crops, CLS_HEIGHT, CLS_WIDTH, CLS_WIDTH);
}

/** Which crops the classifier says are upside down: p(180°) above `threshold`. */
export function upsideDown(probs: Tensor, threshold = 0.9): boolean[] {
  const [n, classes] = probs.dims;
  if (probs.type !== 'FP32' || n === undefined || classes !== 2) throw new Error(`the direction classifier returned ${probs.type}[${probs.dims.join(', ')}], expected FP32[N, 2]`);
  const p = probs.data as Float32Array;
  return Array.from({ length: n }, (_, i) => p[2 * i + 1]! > threshold);
}

/** The recogniser's input: 48 high, aspect kept, all right-padded to the widest (at least 320). */
export function recInput(crops: RgbImage[]): Tensor<'FP32'> {
  const widest = Math.max(...crops.map((c) => Math.ceil((REC_HEIGHT * c.width) / c.height)));
  const width = Math.min(REC_MAX_WIDTH, Math.max(REC_MIN_WIDTH, widest));
  return linesTensor(crops, REC_HEIGHT, width, width);
}

/**
 * The character list from `ppocr_keys_v1.txt` (one character a line): index i (1…6623) of the
 * recogniser's classes is line i, 0 is the CTC blank, and the last class is a space.
 */
export function parseKeys(text: string): string[] {
  const keys = text.split(/\r?\n/);
  if (keys.at(-1) === '') keys.pop();
  return keys;
}

/** Greedy CTC: the best class per time step, repeats merged, blanks dropped. */
export function ctcDecode(probs: Tensor, keys: string[]): { text: string; confidence: number }[] {
  const [n, steps, classes] = probs.dims;
  if (probs.type !== 'FP32' || n === undefined || !steps || !classes) throw new Error(`the recogniser returned ${probs.type}[${probs.dims.join(', ')}], expected FP32[N, T, C]`);
  const p = probs.data as Float32Array;
  const out: { text: string; confidence: number }[] = [];
  for (let i = 0; i < n; i++) {
    let text = '';
    let sum = 0;
    let count = 0;
    let prev = -1;
    for (let t = 0; t < steps; t++) {
      const base = (i * steps + t) * classes;
      let best = 0;
      for (let c = 1; c < classes; c++) if (p[base + c]! > p[base + best]!) best = c;
      if (best !== 0 && best !== prev) {
        text += best <= keys.length ? keys[best - 1] : ' ';
        sum += p[base + best]!;
        count++;
      }
      prev = best;
    }
    out.push({ text, confidence: count ? sum / count : 0 });
  }
  return out;
}

/** The whole pipeline on one picture: lines of text in reading order. */
export async function readText(img: RgbImage, infer: Infer, keys: string[], opts: OcrOptions = {}, models = OCR_MODELS): Promise<OcrLine[]> {
  const det = await infer(models.det, { x: detInput(img, opts.maxSide) });
  const map = Object.values(det)[0];
  if (!map) throw new Error(`model '${models.det}' returned no output`);
  const boxes = detBoxes(map, img.width, img.height, opts);
  if (boxes.length === 0) return [];
  let crops = boxes.map((b) => crop(img, b[0][0], b[0][1], b[2][0], b[2][1]));

  const cls = Object.values(await infer(models.cls, { x: clsInput(crops) }))[0];
  if (!cls) throw new Error(`model '${models.cls}' returned no output`);
  const flip = upsideDown(cls);
  crops = crops.map((c, i) => (flip[i] ? rotate180(c) : c));

  // Batch lines of similar aspect together so little of each batch is padding.
  const order = crops.map((_, i) => i).sort((a, b) => crops[a]!.width / crops[a]!.height - crops[b]!.width / crops[b]!.height);
  const read: { text: string; confidence: number }[] = new Array(crops.length);
  for (let at = 0; at < order.length; at += REC_BATCH) {
    const batch = order.slice(at, at + REC_BATCH);
    const rec = Object.values(await infer(models.rec, { x: recInput(batch.map((i) => crops[i]!)) }))[0];
    if (!rec) throw new Error(`model '${models.rec}' returned no output`);
    ctcDecode(rec, keys).forEach((r, j) => (read[batch[j]!] = r));
  }
  const minConfidence = opts.minConfidence ?? 0.5;
  return boxes
    .map((box, i) => ({ text: read[i]!.text.trim(), confidence: Math.round(read[i]!.confidence * 1000) / 1000, box }))
    .filter((l) => l.text.length > 0 && l.confidence >= minConfidence);
}
