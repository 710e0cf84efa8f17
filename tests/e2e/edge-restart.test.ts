// End to end: deployments persist. After a clean stop (no orphan workerd or model-host) and a
// restart, they come back with their models preloaded, and /healthz/ready is 200 only once every
// model they declare is warm: the first request after ready never meets `unavailable`.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../registry/client.ts';
import { addModel, writeModel } from '../fixtures/onnx-models.ts';
import { TOKEN, callModel, deploy, processesMentioning, startServe, tempDataDir, waitReady, type Serve } from './serve-harness.ts';

const tmp = tempDataDir('restart');
const data = join(tmp.dir, 'data');
let serve: Serve | undefined;

afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

const x = { type: 'FP32', dims: [1, 4], data: [1, 1, 1, 1] };

describe('restart', () => {
  it('restores deployments with their models warm before ready', async () => {
    serve = await startServe(data);
    const registry = createRegistryClient({ url: serve.url, token: TOKEN });
    await registry.publish(writeModel(join(tmp.dir, 'cpu.onnx'), addModel({ bias: 5 })), { name: 'on-cpu', version: '1.0.0', placement: 'cpu' });
    await registry.publish(writeModel(join(tmp.dir, 'host.onnx'), addModel({ bias: 7 })), { name: 'on-host', version: '1.0.0', placement: 'gpu' });
    const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', ['--name', 'keep', '--route', '/keep/*', '--model', 'on-cpu', '--model', 'on-host@1.0.0']);
    expect(d.code, d.stderr).toBe(0);

    expect(await serve.stop()).toBe(0);
    expect(await processesMentioning(data)).toEqual([]);

    serve = await startServe(data);
    const statuses = await waitReady(serve.url);
    expect(statuses.at(-1)).toBe(200);
    // Ready means warm: the very first requests succeed, on both placements.
    const a = await callModel(serve.url, '/keep/a', 'on-cpu', { x });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.outputs.y.data).toEqual([6, 6, 6, 6]);
    const b = await callModel(serve.url, '/keep/b', 'on-host', { x });
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    expect(b.body.outputs.y.data).toEqual([8, 8, 8, 8]);
    // The log shows the models readied before the restore finished (and so before ready).
    const out = serve.output();
    const restored = out.indexOf('"deployments restored"');
    expect(restored).toBeGreaterThan(0);
    expect(out.lastIndexOf('"model ready"', restored)).toBeGreaterThan(0);
  }, 240_000);
});
