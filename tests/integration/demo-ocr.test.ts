// The OCR demo's pipeline (det → cls → rec, PP-OCRv4) reads the committed sample picture on real
// ONNX Runtime, the right way up and upside down.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceSession } from 'onnxruntime-common';
import { closeSession, openSession, runSession } from '../../model-host/engine/onnx.ts';
import { decodePng, overWhite, rotate180 } from '../../demo/handlers/image.ts';
import { parseKeys, readText, type OcrLine } from '../../demo/handlers/ocr-pipeline.ts';
import { DEMO_MODELS, OCR_KEYS_PATH } from '../../demo/models/catalog.ts';

const sessions = new Map<string, InferenceSession>();
const keys = parseKeys(readFileSync(OCR_KEYS_PATH, 'utf8'));
const infer = (model: string, inputs: Parameters<typeof runSession>[1]) => runSession(sessions.get(model)!, inputs);
const sample = overWhite(decodePng(readFileSync('demo/samples/text.png')));

beforeAll(async () => {
  for (const m of DEMO_MODELS.filter((m) => m.meta.name.startsWith('ocr-'))) sessions.set(m.meta.name, (await openSession(m.source, { intraOpNumThreads: 1 })).session);
});
afterAll(async () => {
  for (const s of sessions.values()) await closeSession(s);
});

function expectSampleText(lines: OcrLine[], order: string[]): void {
  expect(lines.map((l) => l.text)).toEqual(order);
  for (const l of lines) {
    expect(l.confidence).toBeGreaterThan(0.8);
    const [[x0, y0], , [x1, y1]] = l.box;
    expect(x0).toBeLessThan(x1);
    expect(y0).toBeLessThan(y1);
    expect(x1).toBeLessThanOrEqual(sample.width);
    expect(y1).toBeLessThanOrEqual(sample.height);
  }
  // Reading order: the first line read is the upper one.
  expect(lines[0]!.box[2][1]).toBeLessThanOrEqual(lines[1]!.box[0][1] + 2);
}

describe('demo: OCR pipeline on PP-OCRv4', () => {
  it('reads both lines of the sample exactly, with boxes inside the picture', async () => {
    expectSampleText(await readText(sample, infer, keys), ['Edge Inference 2026', 'hello from workerd']);
  });

  it('reads the sample turned upside down (the direction classifier flips each line back)', async () => {
    // Turned over, the second line is now on top, so it is read first.
    expectSampleText(await readText(rotate180(sample), infer, keys), ['hello from workerd', 'Edge Inference 2026']);
  });

  it('finds no text in a blank picture', async () => {
    const blank = { width: 200, height: 64, data: new Uint8Array(200 * 64 * 3).fill(255) };
    expect(await readText(blank, infer, keys)).toEqual([]);
  });
});
