// The background demo's pipeline (IS-Net on the upcast-free fp16 original, which the upcast test
// shows gives the same mask) keeps the sample's subject and drops its white backdrop.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closeSession, openSession, runSession } from '../../model-host/engine/onnx.ts';
import { decodePng, encodeRgba } from '../../demo/handlers/image.ts';
import { backgroundAlpha } from '../../demo/handlers/background-pipeline.ts';
import { ISNET_FP16_PATH } from '../../demo/models/catalog.ts';

describe('demo: background removal pipeline on IS-Net', () => {
  it('gives a mask high on the subject and low on the backdrop, at the picture size, as an RGBA PNG', async () => {
    const img = decodePng(readFileSync('demo/samples/photo.png'));
    const { session } = await openSession(ISNET_FP16_PATH, { intraOpNumThreads: 2 });
    let alpha: Uint8Array;
    try {
      // The pipeline's own fetch list reaches ONNX Runtime: it asks for `output` alone.
      const asked: (string[] | undefined)[] = [];
      alpha = await backgroundAlpha(img, (_model, inputs, options) => (asked.push(options?.outputs), runSession(session, inputs, options?.outputs)));
      expect(asked).toEqual([['output']]);
    } finally {
      await closeSession(session);
    }
    expect(alpha.length).toBe(img.width * img.height);

    // Backdrop: the white border rows and columns. Subject: strongly coloured pixels (the
    // wizard's blue robe and hat), which the backdrop never has.
    let backdrop = 0, backdropN = 0, subject = 0, subjectN = 0;
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const i = y * img.width + x;
        const [r, g, b] = [img.data[3 * i]!, img.data[3 * i + 1]!, img.data[3 * i + 2]!];
        const border = x < 4 || y < 4 || x >= img.width - 4 || y >= img.height - 4;
        if (border && r > 240 && g > 240 && b > 240) (backdrop += alpha[i]!), backdropN++;
        if (b > r + 60 && b > g + 30) (subject += alpha[i]!), subjectN++;
      }
    }
    expect(backdropN).toBeGreaterThan(500);
    expect(subjectN).toBeGreaterThan(500);
    expect(backdrop / backdropN).toBeLessThan(40);
    expect(subject / subjectN).toBeGreaterThan(200);

    const png = encodeRgba(img, alpha);
    const back = decodePng(png);
    expect([back.width, back.height]).toEqual([img.width, img.height]);
    expect(Array.from(back.alpha.subarray(0, 16))).toEqual(Array.from(alpha.subarray(0, 16)));
  });
});
