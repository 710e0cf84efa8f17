// A model-host that stops answering (its event loop blocked) is found by the supervisor's
// liveness checks, killed and restarted, preloaded again; requests meanwhile fail, never hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, tempDir, type TestRegistry } from '../../model-host/test-fixtures.ts';
import { startModelHost, type ModelHost } from '../../model-host/supervisor.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: ModelHost | undefined;
const lines: string[] = [];

beforeAll(async () => {
  tmp = tempDir('mh-hang');
  registry = await startTestRegistry(join(tmp.dir, 'data'));
  await registry.publish(addModel({ width: 4, bias: 1 }), { name: 'adder', version: '1.0.0' });
});

afterAll(async () => {
  await host?.stop();
  await registry?.close();
  tmp?.cleanup();
});

describe('model-host hung', () => {
  it('is killed after missed liveness checks and comes back warm', async () => {
    host = startModelHost({
      registryUrl: registry.url,
      socketPath: join(tmp.dir, 'run', 'mh.sock'),
      cacheDir: join(tmp.dir, 'cache'),
      preload: ['adder'],
      extraArgs: ['--test-probes'],
      livenessIntervalMs: 200,
      livenessFailures: 3,
      log: (l) => lines.push(l),
    });
    await host.ready();
    const hungPid = host.pid!;
    // Never answered: the process is killed while it spins.
    const blocked = host.client.request('POST', '/__test/probe', JSON.stringify({ action: 'block', ms: 60_000 }), { 'content-type': 'application/json' }, 70_000).catch((e: Error) => e);
    const x = { x: { type: 'FP32' as const, dims: [1, 4], data: new Float32Array(4) } };
    const during = await host.client.infer('adder', '', x, { deadline: Date.now() + 300 }).catch((e: { code: string }) => e.code);
    expect(['timeout', 'unavailable']).toContain(during);
    expect(await blocked).toMatchObject({ code: 'unavailable' });
    // The socket closes before the exit is reaped: wait (bounded) until the supervisor has seen it.
    for (let i = 0; i < 200 && host.state === 'ready' && host.pid === hungPid; i++) await new Promise((r) => setTimeout(r, 25));
    await host.ready();
    expect(host.pid).not.toBe(hungPid);
    expect(host.restarts).toBe(1);
    expect(lines.some((l) => /did not answer \/v2\/health\/live 3 times in a row/.test(l))).toBe(true);
    const out = await host.client.infer('adder', '', x);
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 1, 1, 1]);
  });
});
