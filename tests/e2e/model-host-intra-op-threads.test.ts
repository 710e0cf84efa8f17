// --intra-op-threads reaches the supervised model-host: the supervisor passes it on and the child
// opens its ONNX Runtime sessions with it (and says so in its start-up line).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, tempDir, type TestRegistry } from '../../model-host/test-fixtures.ts';
import { startModelHost, type ModelHost } from '../../model-host/supervisor.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: ModelHost | undefined;

beforeAll(async () => {
  tmp = tempDir('mh-threads');
  registry = await startTestRegistry(join(tmp.dir, 'data'));
  await registry.publish(addModel({ width: 4, bias: 2 }), { name: 'adder', version: '1.0.0' });
});

afterAll(async () => {
  await host?.stop();
  await registry?.close();
  tmp?.cleanup();
});

it('runs the model-host with the intra-op thread count it was given', async () => {
  const lines: string[] = [];
  host = startModelHost({ registryUrl: registry.url, socketPath: join(tmp.dir, 'run', 'mh.sock'), cacheDir: join(tmp.dir, 'cache'), preload: ['adder'], intraOpThreads: 3, log: (l) => lines.push(l) });
  await host.ready();
  expect(lines.find((l) => /listening on/.test(l))).toMatch(/ONNX Runtime intra-op threads 3$/);
  const out = await host.client.infer('adder', '1.0.0', { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } });
  expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 2, 2, 2]);
});
