// registry/client.ts against the real server: publish with progress, reads, verified blob
// downloads (a corrupted blob is refused and leaves nothing), aliases and typed errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel, largeModel } from '../fixtures/onnx-models.ts';
import { createRegistryClient } from '../../registry/client.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let h: TestRegistry;
let dir: string;
beforeAll(async () => {
  h = await startTestRegistry();
  dir = await mkdtemp(join(tmpdir(), 'edgenn-client-'));
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('registry client', () => {
  const big = largeModel(3 * 1024 * 1024);

  it('publishes a file with progress and reads it back', async () => {
    const client = createRegistryClient({ url: h.url, token: h.token });
    const file = join(dir, 'big.onnx');
    await writeFile(file, big);
    const progress: number[] = [];
    const r = await client.publish(file, { name: 'big', version: '1.0.0', labels: { a: 'b' }, aliases: ['stable'], preload: true }, (sent, total) => {
      expect(total).toBe(big.length);
      progress.push(sent);
    });
    expect(r.created).toBe(true);
    expect(r.manifest).toMatchObject({ name: 'big', digest: sha(big), size: big.length, labels: { a: 'b' }, preload: true });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(big.length);

    const list = await client.list();
    expect(list.map((m) => m.name)).toEqual(['big']);
    expect(list[0]!.aliases).toEqual({ latest: '1.0.0', stable: '1.0.0' });
    expect((await client.get('big')).versions).toHaveLength(1);
    expect((await client.resolve('big@stable')).digest).toBe(sha(big));
  });

  it('downloads a blob through a temp file, verified', async () => {
    const client = createRegistryClient({ url: h.url });
    const dest = join(dir, 'cache', 'big.onnx');
    let last = 0;
    await client.fetchBlob(sha(big), dest, (received) => {
      last = received;
    });
    expect(last).toBe(big.length);
    expect(sha(await readFile(dest))).toBe(sha(big));
    expect((await readdir(join(dir, 'cache'))).sort()).toEqual(['big.onnx']);
  });

  it('refuses a blob whose bytes do not match its digest and leaves nothing', async () => {
    const small = addModel({ bias: 9 });
    await h.publish('small', '1.0.0', small);
    // Corrupt the stored blob on disk: the server streams it, the client must notice.
    await writeFile(h.registry.store.blobPath(sha(small)), Buffer.from(small).fill(0, 0, 8));
    const client = createRegistryClient({ url: h.url });
    const out = join(dir, 'corrupt');
    await expect(client.fetchBlob(sha(small), join(out, 'small.onnx'))).rejects.toMatchObject({ code: 'invalid-encoding' });
    expect(await readdir(out)).toEqual([]);
  });

  it('sets aliases and deletes versions', async () => {
    const client = createRegistryClient({ url: h.url, token: h.token });
    const file = join(dir, 'v2.onnx');
    await writeFile(file, largeModel(1024));
    await client.publish(file, { name: 'big', version: '2.0.0' });
    await client.setAlias('big', 'stable', '2.0.0');
    expect((await client.get('big')).aliases).toEqual({ latest: '2.0.0', stable: '2.0.0' });
    expect(await client.deleteVersion('big', '1.0.0')).toEqual({ removedAliases: [] });
    expect((await client.get('big')).versions.map((v) => v.version)).toEqual(['2.0.0']);
  });

  it('turns error bodies into typed errors', async () => {
    const anon = createRegistryClient({ url: h.url });
    await expect(anon.resolve('nobody')).rejects.toMatchObject({ code: 'not-found' });
    await expect(anon.setAlias('big', 'stable', '2.0.0')).rejects.toMatchObject({ code: 'unauthorized' });
    const wrong = createRegistryClient({ url: h.url, token: 'wrong' });
    await expect(wrong.setAlias('big', 'stable', '2.0.0')).rejects.toMatchObject({ code: 'unauthorized' });
    const client = createRegistryClient({ url: h.url, token: h.token });
    await expect(client.setAlias('big', 'stable', '9.9.9')).rejects.toMatchObject({ code: 'not-found' });
    const gone = createRegistryClient({ url: 'http://127.0.0.1:1' });
    await expect(gone.list()).rejects.toMatchObject({ code: 'unavailable', retryable: true });
  });
});

describe('publish preflight', () => {
  it('refuses a big upload before streaming it: wrong token, over the limit, other bytes', async () => {
    const limited = await startTestRegistry({ maxUploadBytes: 1024 * 1024 });
    try {
      const file = join(dir, 'preflight.onnx');
      await writeFile(file, largeModel(8 * 1024 * 1024));
      let sent = 0;
      const onProgress = (n: number) => (sent = n);
      const wrong = createRegistryClient({ url: limited.url, token: 'wrong' });
      await expect(wrong.publish(file, { name: 'pf', version: '1.0.0' }, onProgress)).rejects.toMatchObject({ code: 'unauthorized' });
      const client = createRegistryClient({ url: limited.url, token: limited.token });
      await expect(client.publish(file, { name: 'pf', version: '1.0.0' }, onProgress)).rejects.toMatchObject({ code: 'too-large' });
      await expect(client.publish(file, { name: 'Bad', version: '1.0.0' }, onProgress)).rejects.toMatchObject({ code: 'invalid-argument' });
      expect(sent).toBe(0);

      const small = join(dir, 'preflight-small.onnx');
      await writeFile(small, addModel({ bias: 11 }));
      expect((await client.publish(small, { name: 'pf', version: '1.0.0' })).created).toBe(true);
      await writeFile(join(dir, 'other.onnx'), addModel({ bias: 12 }));
      await expect(client.publish(join(dir, 'other.onnx'), { name: 'pf', version: '1.0.0' })).rejects.toMatchObject({ code: 'already-exists' });
      // The same bytes again: nothing is uploaded, requested aliases still move.
      const again = await client.publish(small, { name: 'pf', version: '1.0.0', aliases: ['stable'] });
      expect(again.created).toBe(false);
      expect((await client.get('pf')).aliases).toEqual({ latest: '1.0.0', stable: '1.0.0' });
    } finally {
      await limited.close();
    }
  });
});
