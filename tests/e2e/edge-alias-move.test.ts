// End to end: while traffic flows, the alias a deployment uses moves to a new version (on the CPU
// pool and on the model-host). The new version is loaded and warmed, then traffic switches, then
// the old one drains: zero failed requests, and once a caller sees the new version it never sees the old.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../registry/client.ts';
import { addModel, writeModel } from '../fixtures/onnx-models.ts';
import { TOKEN, callModel, deploy, startServe, tempDataDir, waitReady, type Serve } from './serve-harness.ts';

const tmp = tempDataDir('alias');
let serve: Serve;
let registry: ReturnType<typeof createRegistryClient>;

beforeAll(async () => {
  serve = await startServe(join(tmp.dir, 'data'));
  registry = createRegistryClient({ url: serve.url, token: TOKEN });
  for (const placement of ['cpu', 'gpu'] as const) {
    const name = `mover-${placement}`;
    await registry.publish(writeModel(join(tmp.dir, `${name}-1.onnx`), addModel({ bias: 1 })), { name, version: '1.0.0', placement, aliases: ['stable'] });
    await registry.publish(writeModel(join(tmp.dir, `${name}-2.onnx`), addModel({ bias: 2 })), { name, version: '2.0.0', placement });
    // Publishing 2.0.0 moved `latest`, not `stable`.
  }
}, 240_000);

afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

describe.each(['cpu', 'gpu'])('an alias move under traffic (%s)', (placement) => {
  it('fails no request and never goes back', async () => {
    const model = `mover-${placement}`;
    const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', ['--name', model, '--route', `/${model}/*`, '--model', `${model}@stable`]);
    expect(d.code, d.stderr).toBe(0);
    await waitReady(serve.url);
    const x = { type: 'FP32', dims: [1, 4], data: [0, 0, 0, 0] };
    const failures: string[] = [];
    const seen: number[][] = [[], [], []];
    let stop = false;
    const loops = seen.map(async (mine) => {
      // Bounded: at most 3000 calls per loop.
      for (let i = 0; i < 3000 && !stop; i++) {
        const { status, body } = await callModel(serve.url, `/${model}/x`, model, { x });
        if (status !== 200) failures.push(`${status} ${JSON.stringify(body)}`);
        else mine.push(body.outputs.y.data[0]);
      }
    });
    // Every loop has been answered by the old version before the alias moves (bounded wait).
    for (let i = 0; i < 300 && !seen.every((s) => s.length >= 5); i++) await new Promise((r) => setTimeout(r, 50));
    await registry.setAlias(model, 'stable', '2.0.0');
    // Keep the traffic going until every loop has seen the new version for a while.
    for (let i = 0; i < 600 && !seen.every((s) => s.slice(-20).length === 20 && s.slice(-20).every((v) => v === 2)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    for (const s of seen) {
      expect(s[0]).toBe(1);
      expect(s.at(-1)).toBe(2);
      const firstNew = s.indexOf(2);
      expect(s.slice(firstNew).every((v) => v === 2)).toBe(true);
    }
    const { deployment } = (await (await fetch(`${serve.url}/v1/deployments/${model}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { deployment: { models: { ref: string; version: string }[] } };
    expect(deployment.models.find((m) => m.ref === `${model}@stable`)?.version).toBe('2.0.0');
  }, 120_000);
});
