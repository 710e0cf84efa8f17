// Background removal around IS-Net (DIS): RGB → 1024² NCHW floats → mask → alpha channel at the
// picture's own size. Web APIs only: bundled into the background handler.
import type { Tensor } from '../../wit/types.ts';
import type { Infer } from './infer.ts';
import { resizeBilinear, type RgbImage } from './image.ts';

/** IS-Net's fixed input side. */
export const ISNET_SIDE = 1024;

/** RGB → `input: float32[1, 3, 1024, 1024]`, bilinear, (x − 128) / 256 per channel. */
export function isnetInput(img: RgbImage): Tensor<'FP32'> {
  const side = ISNET_SIDE;
  const resized = resizeBilinear(img.data, img.width, img.height, 3, side, side);
  const plane = side * side;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) data[c * plane + i] = (resized[3 * i + c]! - 128) / 256;
  return { type: 'FP32', dims: [1, 3, side, side], data };
}

/** IS-Net's `output: float32[1, 1, 1024, 1024]` (0…1) → an alpha plane of width × height (0…255). */
export function isnetAlpha(output: Tensor, width: number, height: number): Uint8Array {
  const [, , h, w] = output.dims;
  if (output.type !== 'FP32' || output.dims.length !== 4 || !h || !w) throw new Error(`IS-Net returned ${output.type}[${output.dims.join(', ')}], expected FP32[1, 1, H, W]`);
  const mask = resizeBilinear(output.data as Float32Array, w, h, 1, width, height);
  const alpha = new Uint8Array(width * height);
  for (let i = 0; i < alpha.length; i++) alpha[i] = Math.round(Math.min(Math.max(mask[i]! * 255, 0), 255));
  return alpha;
}

/** Runs the whole pipeline: the alpha plane for `img`. */
export async function backgroundAlpha(img: RgbImage, infer: Infer, model = 'background-removal'): Promise<Uint8Array> {
  // IS-Net has 12 outputs (the side outputs are ~48 MB together); only `output` is read.
  const outputs = await infer(model, { input: isnetInput(img) }, { outputs: ['output'] });
  const output = outputs.output;
  if (!output) throw new Error(`model '${model}' returned no 'output' tensor (got ${Object.keys(outputs).join(', ') || 'nothing'})`);
  return isnetAlpha(output, img.width, img.height);
}
