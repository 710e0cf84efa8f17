import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelManifest } from '../../registry/manifest.ts';
import { addModel } from '../../tests/fixtures/onnx-models.ts';
import { createBlobCache } from './blob-cache.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgenn-blob-cache-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('reuses a pre-seeded blob whose sha256 verifies, without asking the registry', async () => {
  const bytes = addModel();
  const hex = createHash('sha256').update(bytes).digest('hex');
  mkdirSync(join(dir, 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'sha256', hex), bytes);
  const asked: string[] = [];
  // A registry that cannot serve anything: reaching it would fail the test.
  const registry = { url: 'http://127.0.0.1:1', fetchBlob: async (d: string) => void asked.push(d) };
  const lines: string[] = [];
  const cache = createBlobCache({ dir, registry, log: (l) => lines.push(l) });
  const m = { name: 'add', version: '1.0.0', digest: `sha256:${hex}`, size: bytes.length } as ModelManifest;
  const [p1, p2] = await Promise.all([cache.fetch(m), cache.fetch(m)]);
  expect(p1).toBe(join(dir, 'sha256', hex));
  expect(p2).toBe(p1);
  expect(await cache.fetch(m)).toBe(p1);
  expect(asked).toEqual([]);
  expect(lines.filter((l) => l.includes('reused'))).toHaveLength(1); // verified once, then trusted
  await expect(cache.fetch({ ...m, digest: 'sha256:../../etc/passwd' })).rejects.toMatchObject({ code: 'invalid-argument' });
});
