// A large publish streams: the registry hashes the body into a temp file chunk by chunk, so the
// JavaScript memory it holds stays flat while a model many times that size goes through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { largeModel } from '../fixtures/onnx-models.ts';
import { createRegistryClient } from '../../registry/client.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

const SIZE = 128 * 1024 * 1024;
let h: TestRegistry;
let dir: string;
let file: string;
let digest: string;

beforeAll(async () => {
  h = await startTestRegistry();
  dir = await mkdtemp(join(tmpdir(), 'edgenn-large-'));
  file = join(dir, 'large.onnx');
  const bytes = largeModel(SIZE);
  digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(file, bytes);
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('large upload', () => {
  it('publishes a 128 MiB model while JS memory grows by far less than its size', async () => {
    const held = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const baseline = held();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, held());
    }, 5);
    const client = createRegistryClient({ url: h.url, token: h.token });
    let uploaded = 0;
    try {
      const r = await client.publish(file, { name: 'large', version: '1.0.0' }, (sent) => {
        uploaded = sent;
        peak = Math.max(peak, held());
      });
      expect(r.manifest.digest).toBe(digest);
      expect(r.manifest.size).toBeGreaterThan(SIZE);
    } finally {
      clearInterval(sampler);
    }
    expect(uploaded).toBeGreaterThan(SIZE);
    // Both ends of the upload run in this process; buffering the body whole would add ≥ 128 MiB.
    console.log(`large upload: JS memory grew by ${((peak - baseline) / 2 ** 20).toFixed(1)} MiB for a ${SIZE / 2 ** 20} MiB model`);
    expect(peak - baseline).toBeLessThan(48 * 1024 * 1024);
  });
});
