// The optional TCP transport: the supervised model-host on 127.0.0.1:<port> speaks the same v2
// protocol, reached with createV2Client({ url }) as a Triton or KServe server would be.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, tempDir, type TestRegistry } from '../../model-host/test-fixtures.ts';
import { startModelHost, type ModelHost } from '../../model-host/supervisor.ts';
import { createV2Client } from '../../model-host/client.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: ModelHost | undefined;

/** A port that was free a moment ago (the supervisor needs a fixed one). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  tmp = tempDir('mh-tcp');
  registry = await startTestRegistry(join(tmp.dir, 'data'));
  await registry.publish(addModel({ width: 4, bias: 6 }), { name: 'adder', version: '1.0.0' });
});

afterAll(async () => {
  await host?.stop();
  await registry?.close();
  tmp?.cleanup();
});

describe('model-host over TCP', () => {
  it('serves v2 on 127.0.0.1 when given a port instead of a socket', async () => {
    const port = await freePort();
    host = startModelHost({ registryUrl: registry.url, port, cacheDir: join(tmp.dir, 'cache'), preload: ['adder'], log: () => {} });
    await host.ready();
    const client = createV2Client({ url: `http://127.0.0.1:${port}` });
    try {
      expect(await client.ready()).toBe(true);
      const out = await client.infer('adder', '1.0.0', { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } });
      expect(Array.from(out.y!.data as Float32Array)).toEqual([6, 6, 6, 6]);
      const meta = await client.request('GET', '/v2/models/adder');
      expect(JSON.parse(meta.body.toString())).toMatchObject({ name: 'adder', platform: 'onnxruntime_onnx' });
    } finally {
      await client.close();
    }
  });
});
