// The store is a real OCI image layout: skopeo (a standard OCI tool) reads a published version's
// manifest and copies it out, layer bytes intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addModel } from '../fixtures/onnx-models.ts';
import { MEDIA_TYPES } from '../../registry/oci-layout-store.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

const run = promisify(execFile);
const skopeo = ['/usr/bin/skopeo', '/usr/local/bin/skopeo'].find((p) => existsSync(p));

let h: TestRegistry;
let out: string;
beforeAll(async () => {
  h = await startTestRegistry();
  out = await mkdtemp(join(tmpdir(), 'edgenn-skopeo-'));
});
afterAll(async () => {
  await h?.close();
  await rm(out, { recursive: true, force: true });
});

describe.skipIf(!skopeo)('OCI tools read the store (skopeo; .ci/run installs it)', () => {
  const model = addModel({ bias: 4 });
  const hex = createHash('sha256').update(model).digest('hex');

  it('skopeo inspect --raw reads a version and an alias', async () => {
    expect((await h.publish('oci-model', '1.0.0', model, 'alias=stable')).status).toBe(201);
    const dir = join(h.dataDir, 'registry');
    for (const tag of ['1.0.0', 'stable', 'latest']) {
      const { stdout } = await run(skopeo!, ['inspect', '--raw', `oci:${dir}:oci-model:${tag}`]);
      const manifest = JSON.parse(stdout);
      expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(manifest.artifactType).toBe(MEDIA_TYPES.artifact);
      expect(manifest.config.mediaType).toBe(MEDIA_TYPES.config);
      expect(manifest.layers).toEqual([expect.objectContaining({ mediaType: MEDIA_TYPES.onnx, digest: `sha256:${hex}`, size: model.length })]);
    }
  });

  it('skopeo copy gets the config (our manifest) and the .onnx layer out', async () => {
    const dir = join(h.dataDir, 'registry');
    await run(skopeo!, ['copy', `oci:${dir}:oci-model:1.0.0`, `dir:${join(out, 'copy')}`]);
    expect(createHash('sha256').update(await readFile(join(out, 'copy', hex))).digest('hex')).toBe(hex);
    const { stdout } = await run(skopeo!, ['inspect', '--raw', `oci:${dir}:oci-model:1.0.0`]);
    const configHex = JSON.parse(stdout).config.digest.slice('sha256:'.length);
    const config = JSON.parse(await readFile(join(out, 'copy', configHex), 'utf8'));
    expect(config).toMatchObject({ name: 'oci-model', version: '1.0.0', digest: `sha256:${hex}` });
  });
});
