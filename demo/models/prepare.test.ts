import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fp16Model } from '../../tests/fixtures/onnx-models.ts';
import { prepareModels, sha256File } from './prepare.ts';
import type { DemoModel } from './catalog.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgenn-demo-prepare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = join(dir, 'tiny-fp16.onnx');
writeFileSync(source, fp16Model(Uint16Array.from([0x3c00, 0x4000]), Uint16Array.from([0, 0x3c00])));

async function model(derive?: 'upcast-fp16'): Promise<DemoModel> {
  return { meta: { name: 'tiny', version: '1.0.0' }, source, sha256: await sha256File(source), ...(derive ? { derive } : {}) };
}

describe('demo: prepareModels', () => {
  it('publishes a plain source as is, and derives an upcast once under <data>/demo', async () => {
    const data = join(dir, 'data');
    const lines: string[] = [];
    const [plain, derived] = await prepareModels([await model(), await model('upcast-fp16')], data, (l) => lines.push(l));
    expect(plain!.path).toBe(source);
    expect(derived!.path.startsWith(join(data, 'demo'))).toBe(true);
    expect(statSync(derived!.path).size).toBeGreaterThan(statSync(source).size);
    expect(lines.some((l) => l.includes('converting'))).toBe(true);

    const mtime = statSync(derived!.path).mtimeMs;
    lines.length = 0;
    const [, again] = await prepareModels([await model(), await model('upcast-fp16')], data, (l) => lines.push(l));
    expect(again!.path).toBe(derived!.path);
    expect(statSync(again!.path).mtimeMs).toBe(mtime);
    expect(lines).toEqual([]);
  });

  it('refuses a source whose sha256 is not the pinned one, saying to reinstall', async () => {
    const m = { ...(await model()), sha256: '0'.repeat(64) };
    await expect(prepareModels([m], join(dir, 'data2'))).rejects.toThrow(/npm ci/);
  });

  it('says to run npm ci when a source is missing', async () => {
    const m = { ...(await model()), source: join(dir, 'nope.onnx') };
    await expect(prepareModels([m], join(dir, 'data3'))).rejects.toMatchObject({ code: 'not-found' });
  });
});
