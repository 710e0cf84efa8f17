// kill -9 of the registry process at points spread across a whole publish — after the body is
// sent, while it validates the model, moves the blob, writes the image manifest, index.json and
// the event log — then a restart on the same data dir: the store is consistent every time
// (index entries resolve to blobs whose sha256 is right, no temp or orphan file, whole event
// lines) and the publish can be retried. (registry-kill-upload covers a kill mid-body.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel, largeModel } from '../fixtures/onnx-models.ts';
import { spawnRegistryCli, type SpawnedRegistry } from '../integration/registry-harness.ts';
import { sleep } from './harness.ts';

const token = 'kill-publish-token';
const KILLS = 8;
let dir: string;
let reg: SpawnedRegistry | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgenn-kill-publish-'));
});
afterAll(async () => {
  await reg?.stop();
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const storeDir = () => join(dir, 'data', 'registry');
const blobPath = (digest: string) => join(storeDir(), 'blobs', 'sha256', digest.slice('sha256:'.length));

/** Sends the whole body, then resolves with the time at which the last byte left (and the answer, if any). */
function publish(url: string, name: string, version: string, body: Uint8Array): { sent: Promise<number>; answer: Promise<number | string> } {
  const { port } = new URL(url);
  let markSent!: (t: number) => void;
  const sent = new Promise<number>((r) => (markSent = r));
  const answer = new Promise<number | string>((resolve) => {
    const req = request({ host: '127.0.0.1', port: Number(port), method: 'PUT', path: `/v1/models/${name}/versions/${version}`, headers: { authorization: `Bearer ${token}`, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
    req.end(body, () => markSent(performance.now()));
  });
  return { sent, answer };
}

/** Where in the publish the kill landed, read from the files it left (before a restart cleans up). */
async function phaseAfterKill(ref: string, digest: string): Promise<string> {
  const tmp = await readdir(join(storeDir(), 'tmp'));
  const index = await readFile(join(storeDir(), 'index.json'), 'utf8');
  const blobs = await readdir(join(storeDir(), 'blobs', 'sha256'));
  if (index.includes(`"${ref}"`)) return 'after the index update';
  if (blobs.includes(digest.slice(7))) return 'blob stored, index not yet updated';
  if (tmp.some((f) => f.startsWith('upload-'))) return 'upload received, being validated';
  return 'before the upload reached disk';
}

/** Everything a restarted store must satisfy. */
async function checkConsistent(): Promise<void> {
  expect(await readdir(join(storeDir(), 'tmp'))).toEqual([]);
  expect((await readdir(storeDir())).filter((f) => f.includes('.tmp-'))).toEqual([]);
  const index = JSON.parse(await readFile(join(storeDir(), 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; size: number }> };
  const referenced = new Set<string>();
  for (const d of index.manifests) {
    const bytes = await readFile(blobPath(d.digest));
    expect(sha(bytes)).toBe(d.digest);
    expect(bytes.length).toBe(d.size);
    const image = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: Array<{ digest: string; size: number }> };
    referenced.add(d.digest).add(image.config.digest);
    expect(sha(await readFile(blobPath(image.config.digest)))).toBe(image.config.digest);
    for (const l of image.layers) {
      referenced.add(l.digest);
      expect(sha(await readFile(blobPath(l.digest)))).toBe(l.digest);
    }
  }
  const onDisk = (await readdir(join(storeDir(), 'blobs', 'sha256'))).map((h) => `sha256:${h}`);
  expect(onDisk.sort()).toEqual([...referenced].sort()); // no orphan blob survives a restart
  const events = (await readFile(join(storeDir(), 'events.jsonl'), 'utf8')).split('\n').filter(Boolean);
  for (const line of events) expect(typeof JSON.parse(line).id).toBe('number');
}

it(`stays consistent across ${KILLS} kill -9s spread over a publish, and the publish can be retried`, async () => {
  // A different file each round, so what a kill left behind is that round's own.
  const bigs = Array.from({ length: KILLS }, (_, i) => largeModel(6 * 1024 * 1024 + 4 * i));
  const big = bigs[0]!;
  reg = await spawnRegistryCli(join(dir, 'data'), { EDGENN_TOKEN: token });
  expect((await publish(reg.url, 'kept', '1.0.0', addModel()).answer)).toBe(201);

  // Measure one whole publish (body sent → answer) to spread the kills over it.
  const probe = publish(reg.url, 'probe', '1.0.0', big);
  const t0 = await probe.sent;
  expect(await probe.answer).toBe(201);
  const window = Math.max(20, performance.now() - t0);
  expect((await fetch(`${reg.url}/v1/models/probe/versions/1.0.0`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

  const phases: Record<string, number> = {};
  for (let i = 0; i < KILLS; i++) {
    const p = publish(reg.url, 'big', `1.0.${i}`, bigs[i]!);
    await p.sent;
    await sleep((window * i) / (KILLS - 1));
    await reg.stop('SIGKILL');
    await p.answer;
    const phase = await phaseAfterKill(`big:1.0.${i}`, sha(bigs[i]!));
    phases[phase] = (phases[phase] ?? 0) + 1;

    reg = await spawnRegistryCli(join(dir, 'data'), { EDGENN_TOKEN: token });
    await checkConsistent();
    const kept = (await (await fetch(`${reg.url}/v1/resolve/kept`)).json()) as { digest: string };
    expect(kept.digest).toBe(sha(addModel()));
    const retried = await publish(reg.url, 'big', `1.0.${i}`, bigs[i]!).answer;
    expect([200, 201]).toContain(retried);
    await checkConsistent();
  }
  console.log(`registry kill -9 during publish: publish window ≈ ${window.toFixed(0)} ms; kills landed: ${JSON.stringify(phases)}`);

  const record = (await (await fetch(`${reg.url}/v1/models/big`)).json()) as { versions: Array<{ version: string; digest: string }> };
  expect(record.versions.map((v) => v.version)).toEqual(Array.from({ length: KILLS }, (_, i) => `1.0.${i}`));
  for (const b of bigs) {
    const bytes = new Uint8Array(await (await fetch(`${reg.url}/v1/blobs/${sha(b)}`)).arrayBuffer());
    expect(sha(bytes)).toBe(sha(b));
  }
});
