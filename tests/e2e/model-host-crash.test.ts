// kill -9 of the model-host under load: every request is answered (a success or 503
// unavailable) — none times out or hangs — and the supervisor brings it back, preloaded and warm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, tempDir, type TestRegistry } from '../../model-host/test-fixtures.ts';
import { startModelHost, type ModelHost } from '../../model-host/supervisor.ts';
import type { EdgennError } from '../../wit/errors.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: ModelHost | undefined;

beforeAll(async () => {
  tmp = tempDir('mh-crash');
  registry = await startTestRegistry(join(tmp.dir, 'data'));
  await registry.publish(addModel({ width: 4, bias: 1 }), { name: 'adder', version: '1.0.0' });
});

afterAll(async () => {
  await host?.stop();
  await registry?.close();
  tmp?.cleanup();
});

describe('model-host crash under load', () => {
  it('answers every request within its deadline, restarts, preloads again and serves', async () => {
    host = startModelHost({ registryUrl: registry.url, socketPath: join(tmp.dir, 'run', 'mh.sock'), cacheDir: join(tmp.dir, 'cache'), preload: ['adder'], log: () => {} });
    await host.ready();
    const firstPid = host.pid!;
    const outcomes: string[] = [];
    let killed = false;
    const x = { x: { type: 'FP32' as const, dims: [1, 4], data: Float32Array.from([1, 2, 3, 4]) } };
    const worker = async () => {
      // Bounded: 400 requests per worker, or until 40 answers after the kill.
      for (let i = 0, after = 0; i < 400 && after < 40; i++) {
        try {
          const out = await host!.client.infer('adder', '', x, { deadline: Date.now() + 5_000 });
          outcomes.push((out.y!.data as Float32Array)[0] === 2 ? 'ok' : 'wrong');
        } catch (err) {
          outcomes.push((err as EdgennError).code);
          await new Promise((r) => setTimeout(r, 5));
        }
        if (killed) after++;
      }
    };
    const killer = (async () => {
      while (outcomes.length < 30) await new Promise((r) => setTimeout(r, 5));
      process.kill(firstPid, 'SIGKILL');
      killed = true;
    })();
    await Promise.all([killer, ...Array.from({ length: 8 }, worker)]);
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'unavailable')).toEqual([]);
    expect(outcomes).toContain('unavailable');

    await host.ready();
    expect(host.restarts).toBe(1);
    expect(host.pid).not.toBe(firstPid);
    expect(() => process.kill(firstPid, 0)).toThrow();
    const out = await host.client.infer('adder', '', x);
    expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 3, 4, 5]);
    const models = await host.client.models();
    expect(models.find((m) => m.name === 'adder')).toMatchObject({ state: 'ready', pinned: true });
  });

  it('leaves no process behind when stopped', async () => {
    const pid = host!.pid!;
    await host!.stop();
    expect(host!.state).toBe('stopped');
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(host!.client.infer('adder', '', {})).rejects.toMatchObject({ code: 'unavailable' });
  });
});
