// End to end: a new version of a handler is deployed while requests flow. The route table switches
// at once (after the new worker and its models are ready); the old worker drains: zero failed
// requests, and once a caller sees the new version it never sees the old one again.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../registry/client.ts';
import { addModel, writeModel } from '../fixtures/onnx-models.ts';
import { TOKEN, callModel, deploy, startServe, tempDataDir, type Serve } from './serve-harness.ts';

const tmp = tempDataDir('switch');
let serve: Serve;
const args = (v: string) => ['--name', 'live', '--route', '/live/*', '--model', 'tiny', '--var', `VERSION=${v}`];

beforeAll(async () => {
  serve = await startServe(join(tmp.dir, 'data'), ['--no-model-host']);
  const registry = createRegistryClient({ url: serve.url, token: TOKEN });
  await registry.publish(writeModel(join(tmp.dir, 'tiny.onnx'), addModel({ bias: 1 })), { name: 'tiny', version: '1.0.0', placement: 'cpu' });
  const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', args('1'));
  expect(d.code, d.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

describe('deploying under traffic', () => {
  it('fails no request and never goes back to the old version', async () => {
    const x = { type: 'FP32', dims: [1, 4], data: [0, 0, 0, 0] };
    const failures: string[] = [];
    const seen: string[][] = [[], [], []];
    let stop = false;
    const loops = seen.map(async (mine) => {
      for (let i = 0; i < 3000 && !stop; i++) {
        const { status, body } = await callModel(serve.url, '/live/x', 'tiny', { x });
        if (status !== 200) failures.push(`${status} ${JSON.stringify(body)}`);
        else mine.push(body.version);
      }
    });
    for (let i = 0; i < 300 && !seen.every((s) => s.length >= 5); i++) await new Promise((r) => setTimeout(r, 50));
    const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', args('2'));
    expect(d.code, d.stderr).toBe(0);
    for (let i = 0; i < 300 && !seen.every((s) => s.slice(-10).length === 10 && s.slice(-10).every((v) => v === '2')); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    for (const s of seen) {
      expect(s[0]).toBe('1');
      expect(s.at(-1)).toBe('2');
      expect(s.slice(s.indexOf('2')).every((v) => v === '2')).toBe(true);
    }
  }, 120_000);
});
