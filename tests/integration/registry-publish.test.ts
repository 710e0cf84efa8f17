// Publishing a generated model over HTTP stores it with the signature read from the model itself,
// and the read API (list, model, version, resolve, blob) returns it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { addModel, scaleModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let h: TestRegistry;
beforeAll(async () => {
  h = await startTestRegistry();
});
afterAll(() => h?.close());

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('publish and read', () => {
  const add = addModel({ width: 4, bias: 2 });

  it('publishes with metadata and reads the signature from the model', async () => {
    const q = 'description=adds%202&license=MIT&task=test&placement=cpu&preload=true&label=team=ml&label=tier=gold&alias=stable';
    const r = await h.publish('adder', '1.0.0', add, q);
    expect(r.status).toBe(201);
    expect(r.body.created).toBe(true);
    const m = r.body.manifest;
    expect(m).toMatchObject({
      name: 'adder',
      version: '1.0.0',
      digest: sha(add),
      size: add.length,
      description: 'adds 2',
      license: 'MIT',
      task: 'test',
      placement: 'cpu',
      preload: true,
      labels: { team: 'ml', tier: 'gold' },
    });
    expect(m.signature.inputs).toEqual([{ name: 'x', type: 'FP32', shape: ['batch', 4] }]);
    expect(m.signature.outputs).toEqual([{ name: 'y', type: 'FP32', shape: ['batch', 4] }]);
    expect(m.signature.opset).toBe(17);
    expect(m.signature.irVersion).toBe(8);
    expect(m.signature.producer).toBe('edgenn-tests');
    expect(Date.parse(m.created)).not.toBeNaN();
  });

  it('reads scalar and int64 inputs, another opset and producer', async () => {
    const r = await h.publish('scaler', '0.1.0', scaleModel(3));
    expect(r.status).toBe(201);
    const s = r.body.manifest.signature;
    expect(s.inputs).toEqual([
      { name: 'x', type: 'FP32', shape: ['n', 3] },
      { name: 'k', type: 'I64', shape: [] },
    ]);
    expect(r.body.manifest.placement).toBe('auto');
    expect(r.body.manifest.preload).toBe(false);
  });

  it('lists models with their latest version', async () => {
    const r = await h.json('/v1/models');
    expect(r.status).toBe(200);
    expect(r.body.models.map((m: any) => m.name)).toEqual(['adder', 'scaler']);
    const adder = r.body.models[0];
    expect(adder.latest.version).toBe('1.0.0');
    expect(adder.aliases).toEqual({ latest: '1.0.0', stable: '1.0.0' });
  });

  it('returns one model, one version and resolves refs', async () => {
    const model = await h.json('/v1/models/adder');
    expect(model.body.versions.map((v: any) => v.version)).toEqual(['1.0.0']);
    const version = await h.json('/v1/models/adder/versions/1.0.0');
    expect(version.body.digest).toBe(sha(add));
    for (const ref of ['adder', 'adder@1.0.0', 'adder@stable', 'adder@latest']) {
      const r = await h.json(`/v1/resolve/${ref}`);
      expect(r.status, ref).toBe(200);
      expect(r.body.version).toBe('1.0.0');
    }
    expect((await h.json('/v1/resolve/adder@2.0.0')).body.error.code).toBe('not-found');
    expect((await h.json('/v1/resolve/adder@nope')).status).toBe(404);
    expect((await h.json('/v1/models/nobody')).status).toBe(404);
  });

  it('streams the blob with Content-Length, ETag and Range', async () => {
    const res = await fetch(`${h.url}/v1/models/adder/versions/1.0.0/blob`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(add.length));
    expect(res.headers.get('etag')).toBe(`"${sha(add)}"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(add))).toBe(true);

    const part = await fetch(`${h.url}/v1/blobs/${sha(add)}`, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${add.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(add.subarray(10, 20)))).toBe(true);

    const tail = await fetch(`${h.url}/v1/blobs/${sha(add)}`, { headers: { range: 'bytes=-5' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(Buffer.from(add.subarray(add.length - 5)))).toBe(true);

    const bad = await fetch(`${h.url}/v1/blobs/${sha(add)}`, { headers: { range: `bytes=${add.length}-` } });
    expect(bad.status).toBe(416);
    await bad.body?.cancel();
    const cached = await fetch(`${h.url}/v1/blobs/${sha(add)}`, { headers: { 'if-none-match': `"${sha(add)}"` } });
    expect(cached.status).toBe(304);
    expect((await h.json(`/v1/blobs/sha256:${'0'.repeat(64)}`)).status).toBe(404);
    const head = await fetch(`${h.url}/v1/blobs/${sha(add)}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(add.length));
  });
});
