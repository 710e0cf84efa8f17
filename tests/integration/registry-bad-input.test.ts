// Bad uploads and bad names are refused with the right code and lose nothing: no temp file, no
// blob, no index change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addModel, largeModel, protobufNotAModel, unsupportedOpModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let h: TestRegistry;
let small: TestRegistry;
beforeAll(async () => {
  h = await startTestRegistry();
  small = await startTestRegistry({ maxUploadBytes: 64 * 1024 });
  expect((await h.publish('good', '1.0.0', addModel())).status).toBe(201);
});
afterAll(async () => {
  await h?.close();
  await small?.close();
});

async function snapshot(t: TestRegistry) {
  const dir = join(t.dataDir, 'registry');
  return {
    tmp: await readdir(join(dir, 'tmp')),
    blobs: (await readdir(join(dir, 'blobs', 'sha256'))).sort(),
    index: await readFile(join(dir, 'index.json'), 'utf8'),
  };
}

const deterministicNoise = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 2654435761) >>> 24));

describe('bad uploads', () => {
  it.each([
    ['random bytes', deterministicNoise, 400, 'invalid-encoding'],
    ['a truncated model', addModel().subarray(0, 70), 400, 'invalid-encoding'],
    ['an empty body', new Uint8Array(0), 400, 'invalid-encoding'],
    ['protobuf that is not a model', protobufNotAModel(), 400, 'invalid-encoding'],
    ['a model with an unknown operator', unsupportedOpModel(), 422, 'unsupported-operation'],
  ] as const)('refuses %s and leaves nothing behind', async (_label, bytes, status, code) => {
    const before = await snapshot(h);
    const r = await h.publish('bad', '1.0.0', bytes);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.requestId).toBeTruthy();
    expect(r.body.error.retryable).toBe(false);
    expect(await snapshot(h)).toEqual(before);
    expect((await h.json('/v1/models/bad')).status).toBe(404);
  });
});

describe('bad names and metadata', () => {
  const lookalike = 'аdder'; // Cyrillic 'а'
  it.each([
    ['../x', 'lowercase DNS label'],
    ['Upper', 'lowercase DNS label'],
    [lookalike, 'lowercase DNS label'],
    ['a'.repeat(300), 'lowercase DNS label'],
    ['-dash', 'lowercase DNS label'],
    ['a/b', 'lowercase DNS label'],
  ])('refuses the name %j with 400 naming the rule', async (name, rule) => {
    const before = await snapshot(h);
    const r = await h.publish(name, '1.0.0', addModel());
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid-argument');
    expect(r.body.error.message).toContain(rule);
    expect(r.body.error.message).toContain('1–63 characters');
    expect(await snapshot(h)).toEqual(before);
  });

  it('refuses an empty name', async () => {
    const r = await h.json('/v1/models/%20/versions/1.0.0', { method: 'PUT', headers: h.auth, body: addModel() });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('lowercase DNS label');
    const { checkName } = await import('../../registry/oci-layout-store.ts');
    expect(() => checkName('')).toThrow(/lowercase DNS label/);
    // '..' cannot travel as a URL segment (clients resolve it away), so check the rule directly.
    expect(() => checkName('..')).toThrow(/lowercase DNS label/);
  });

  it.each([
    ['version', '1.0', '', 'semantic version'],
    ['placement', '1.0.0', 'placement=tpu', 'placement must be auto, cpu or gpu'],
    ['label', '1.0.0', 'label=novalue', 'key=value'],
    ['alias', '1.0.0', 'alias=Bad_Alias', 'alias'],
    ['latest alias', '1.0.0', 'alias=latest', 'managed by the registry'],
    ['preload', '1.0.0', 'preload=maybe', 'preload must be true or false'],
  ])('refuses a bad %s before reading the body', async (_label, version, query, text) => {
    const r = await h.publish('good', version, addModel(), query);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain(text);
  });
});

describe('upload size limit', () => {
  const tooBig = largeModel(200 * 1024);

  it('answers 413 at once when Content-Length is over the limit', async () => {
    const r = await small.publish('big', '1.0.0', tooBig);
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('too-large');
    expect((await snapshot(small)).tmp).toEqual([]);
  });

  it('answers 413 mid-stream for a chunked upload and removes the temp file', async () => {
    const before = await snapshot(small);
    async function* chunks() {
      for (let i = 0; i < tooBig.length; i += 16 * 1024) yield tooBig.subarray(i, i + 16 * 1024);
    }
    const res = await fetch(`${small.url}/v1/models/big/versions/1.0.0`, { method: 'PUT', headers: small.auth, body: chunks() as any, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('too-large');
    expect(await snapshot(small)).toEqual(before);
  });

  it('still takes a model under the limit', async () => {
    expect((await small.publish('fits', '1.0.0', addModel())).status).toBe(201);
  });
});
