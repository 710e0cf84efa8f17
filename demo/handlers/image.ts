// Images for the demo handlers: PNG in and out (fast-png, pure JS, so it runs inside workerd),
// and bilinear resizing. Web APIs only: this module is bundled into handlers.
import { decode, encode, hasPngSignature } from 'fast-png';

/** 8-bit RGB, interleaved, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The largest picture a handler accepts, in pixels (4096 × 4096): a bound on handler memory. */
export const MAX_PIXELS = 4096 * 4096;

/** Thrown for input that is not a usable PNG; handlers answer it with 400 `invalid-encoding`. */
export class BadImageError extends Error {}

/** Samples of any bit depth (1 to 16) → 0…255. Depths below 8 arrive packed, rows padded to bytes. */
function samplesTo8Bit(data: Uint8Array | Uint8ClampedArray | Uint16Array, depth: number, width: number, height: number, channels: number): Uint8Array {
  const n = width * height * channels;
  if (depth === 8) return data instanceof Uint8Array ? data : Uint8Array.from(data);
  const out = new Uint8Array(n);
  if (depth === 16) {
    for (let i = 0; i < n; i++) out[i] = data[i]! >> 8;
    return out;
  }
  const max = (1 << depth) - 1;
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width * channels; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)]!;
      const v = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * width * channels + x] = Math.round((v * 255) / max);
    }
  }
  return out;
}

/** Decodes a PNG to 8-bit RGB plus its alpha (255 where the PNG has none). */
export function decodePng(bytes: Uint8Array): RgbImage & { alpha: Uint8Array } {
  if (!hasPngSignature(bytes)) throw new BadImageError('the body is not a PNG image: send the PNG file itself as the request body (curl --data-binary @file.png)');
  let png;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new BadImageError(`the PNG could not be decoded (${err instanceof Error ? err.message : String(err)}): send a complete, valid PNG file`);
  }
  const { width, height } = png;
  if (width * height > MAX_PIXELS) throw new BadImageError(`the image is ${width}×${height}; at most ${MAX_PIXELS} pixels are accepted: scale it down`);
  let channels = png.channels;
  let samples: Uint8Array;
  if (png.palette) {
    // Palette entries are RGB, or RGBA when the PNG has a tRNS chunk.
    channels = png.palette[0]?.length ?? 3;
    const indices = samplesTo8Bit(png.data, png.depth, width, height, 1);
    samples = new Uint8Array(width * height * channels);
    for (let i = 0; i < width * height; i++) {
      const color = png.palette[indices[i]!] ?? [0, 0, 0, 0];
      for (let c = 0; c < channels; c++) samples[i * channels + c] = color[c] ?? 255;
    }
  } else {
    samples = samplesTo8Bit(png.data, png.depth, width, height, channels);
  }
  const data = new Uint8Array(width * height * 3);
  const alpha = new Uint8Array(width * height).fill(255);
  const hasColor = channels >= 3;
  const alphaAt = channels === 2 || channels === 4 ? channels - 1 : -1;
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    data[3 * i] = samples[s]!;
    data[3 * i + 1] = samples[s + (hasColor ? 1 : 0)]!;
    data[3 * i + 2] = samples[s + (hasColor ? 2 : 0)]!;
    if (alphaAt >= 0) alpha[i] = samples[s + alphaAt]!;
  }
  return { width, height, data, alpha };
}

/** The picture laid over white (transparent text on nothing reads as text on paper). */
export function overWhite(img: RgbImage & { alpha: Uint8Array }): RgbImage {
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < img.alpha.length; i++) {
    const a = img.alpha[i]!;
    for (let c = 0; c < 3; c++) data[3 * i + c] = Math.round((img.data[3 * i + c]! * a + 255 * (255 - a)) / 255);
  }
  return { width: img.width, height: img.height, data };
}

/** RGB plus a separate alpha plane → an RGBA PNG. */
export function encodeRgba(img: RgbImage, alpha: Uint8Array): Uint8Array {
  const n = img.width * img.height;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba[4 * i] = img.data[3 * i]!;
    rgba[4 * i + 1] = img.data[3 * i + 1]!;
    rgba[4 * i + 2] = img.data[3 * i + 2]!;
    rgba[4 * i + 3] = alpha[i]!;
  }
  return encode({ width: img.width, height: img.height, data: rgba, channels: 4, depth: 8 });
}

/**
 * Bilinear resize of interleaved samples with half-pixel centres (as OpenCV's INTER_LINEAR and
 * PyTorch's align_corners=false do), returning floats in the source's units.
 */
export function resizeBilinear(src: ArrayLike<number>, sw: number, sh: number, channels: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh * channels);
  const sx = sw / dw;
  const sy = sh / dh;
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * sw + x0) * channels + c]!;
        const b = src[(y0 * sw + x1) * channels + c]!;
        const d = src[(y1 * sw + x0) * channels + c]!;
        const e = src[(y1 * sw + x1) * channels + c]!;
        out[(y * dw + x) * channels + c] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
      }
    }
  }
  return out;
}

/** A rectangle of an RGB image, copied out. */
export function crop(img: RgbImage, x0: number, y0: number, x1: number, y1: number): RgbImage {
  const width = x1 - x0;
  const height = y1 - y0;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x1) * 3), y * width * 3);
  return { width, height, data };
}

/** The image turned by 180° (text read upside down by the detector's crop). */
export function rotate180(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) data.set(img.data.subarray(3 * i, 3 * i + 3), 3 * (n - 1 - i));
  return { width: img.width, height: img.height, data };
}
