// The streaming ModelProto header reader: opset / IR version / producer without reading the graph,
// and invalid-encoding for bytes that are not a model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel, largeModel, protobufNotAModel } from '../tests/fixtures/onnx-models.ts';
import { readModelHeader } from './signature.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgenn-sig-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return p;
}

/** An opset_import entry (ModelProto field 8) for `domain` at `version`. */
function opsetEntry(domain: string, version: number): Buffer {
  const d = Buffer.from(domain);
  const inner = Buffer.concat([Buffer.from([0x0a, d.length]), d, Buffer.from([0x10, version])]);
  return Buffer.concat([Buffer.from([0x42, inner.length]), inner]);
}

describe('readModelHeader', () => {
  it('reads ir_version, producer and the default-domain opset', async () => {
    expect(await readModelHeader(await file('add.onnx', addModel()))).toEqual({ irVersion: 8, producer: 'edgenn-tests', opset: 17, hasGraph: true });
  });

  it('takes the highest default-domain opset and ignores other domains', async () => {
    const bytes = Buffer.concat([addModel(), opsetEntry('com.microsoft', 99), opsetEntry('ai.onnx', 19)]);
    expect((await readModelHeader(await file('multi.onnx', bytes))).opset).toBe(19);
  });

  it('skips a large graph by its length', async () => {
    const h = await readModelHeader(await file('large.onnx', largeModel(8 * 1024 * 1024)));
    expect(h.hasGraph).toBe(true);
    expect(h.opset).toBe(17);
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 255))],
    ['truncated', addModel().subarray(0, 60)],
    ['protobuf that is not a model', protobufNotAModel()],
  ])('refuses %s as invalid-encoding', async (label, bytes) => {
    await expect(readModelHeader(await file(`${label.replace(/ /g, '-')}.bin`, bytes))).rejects.toMatchObject({ code: 'invalid-encoding' });
  });
});
