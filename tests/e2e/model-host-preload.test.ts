// Preload before ready, in the real sandboxed child: polled all through startup, /v2/health/ready
// is never true while a preload (from --preload or marked `preload` in the registry) is not warm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { addModel, largeModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, tempDir, type TestRegistry } from '../../model-host/test-fixtures.ts';
import { startModelHost, type ModelHost } from '../../model-host/supervisor.ts';
import { createV2Client } from '../../model-host/client.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: ModelHost | undefined;
const lines: string[] = [];

beforeAll(async () => {
  tmp = tempDir('mh-preload');
  registry = await startTestRegistry(join(tmp.dir, 'data'));
  await registry.publish(largeModel(64 * 1024 * 1024), { name: 'big', version: '1.0.0' });
  await registry.publish(addModel({ width: 4, bias: 3 }), { name: 'marked', version: '1.0.0', preload: true });
  await registry.publish(addModel({ width: 4, bias: 4 }), { name: 'unmarked', version: '1.0.0' });
});

afterAll(async () => {
  await host?.stop();
  await registry?.close();
  tmp?.cleanup();
});

describe('model-host preload before ready', () => {
  it('answers not-ready until every preload is warm, then serves them all', async () => {
    const socketPath = join(tmp.dir, 'run', 'mh.sock');
    host = startModelHost({ registryUrl: registry.url, socketPath, cacheDir: join(tmp.dir, 'cache'), preload: ['big'], log: (l) => lines.push(l) });
    const probe = createV2Client({ socketPath, timeoutMs: 5_000 });
    const seen: Array<{ ready: boolean; states: string[] }> = [];
    try {
      // Bounded: at most 3000 polls, 10 ms apart.
      for (let i = 0; i < 3000; i++) {
        const res = await probe.request('GET', '/v2/health/ready').catch(() => undefined);
        if (res) {
          const index = await probe.request('POST', '/v2/repository/index', '{}', { 'content-type': 'application/json' });
          const states = (JSON.parse(index.body.toString()) as Array<{ name: string; state: string }>).map((m) => `${m.name}:${m.state}`);
          seen.push({ ready: res.status === 200, states });
          if (res.status === 200) break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      await probe.close();
    }
    // It listened before it was ready, and said so…
    expect(seen.filter((s) => !s.ready).length, JSON.stringify(seen.slice(0, 5))).toBeGreaterThan(0);
    // …and ready meant every preload warm: the flag's and the registry's marked one (the index is read after the ready answer).
    const firstReady = seen.find((s) => s.ready);
    expect(firstReady?.states.sort(), JSON.stringify(seen.slice(-5))).toEqual(['big:READY', 'marked:READY']);

    await host.ready();
    const out = await host.client.infer('marked', '', { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([3, 3, 3, 3]);
    await expect(host.client.infer('unmarked', '', { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } })).rejects.toMatchObject({ code: 'not-found' });
    expect(lines.some((l) => /preload 1\/2: big/.test(l))).toBe(true);
    expect(lines.some((l) => /preload 2\/2: marked/.test(l))).toBe(true);
  });
});
