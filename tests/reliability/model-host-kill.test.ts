// kill -9 of the sandboxed model-host, three times, under load from 8 clients over two models: every
// request is answered (success, 503 unavailable, or 504 at its deadline) in time — none hangs, none gets a
// wrong answer — and after each kill the supervisor brings it back preloaded and warm. The time from
// kill to ready and to the first success is printed (not asserted). model-host-crash covers one kill.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addModel, largeModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from '../integration/registry-harness.ts';
import { startModelHost, type ModelHost } from '../../model-host/supervisor.ts';
import { distEntry } from '../../edge/paths.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { sleep, until } from './harness.ts';

const KILLS = 3;
const CLIENTS = 8;
const DEADLINE_MS = 3_000;
/** An answer this much past its deadline counts as a hang. */
const HANG_GRACE_MS = 2_000;
const hasHost = existsSync(distEntry('model-host/main.ts'));

let reg: TestRegistry;
let host: ModelHost | undefined;
const logs: string[] = [];
beforeAll(async () => {
  reg = await startTestRegistry();
  expect((await reg.publish('adder', '1.0.0', addModel({ bias: 1 }))).status).toBe(201);
  // A 24 MiB model: its reload and warm-up are what recovery waits for.
  expect((await reg.publish('heavy', '1.0.0', largeModel(24 * 1024 * 1024))).status).toBe(201);
});
afterAll(async () => {
  if (process.env.EDGENN_TEST_LOGS) console.log(logs.join('\n'));
  await host?.stop();
  await reg?.close();
});

const input = (): NamedTensors => ({ x: { type: 'FP32', dims: [1, 4], data: Float32Array.from([1, 2, 3, 4]) } });
const expected: Record<string, number> = { adder: 2, heavy: 1 };

it.skipIf(!hasHost)(`answers every request through ${KILLS} kill -9s and comes back warm each time`, async () => {
  // As `edgenn model-host` does: a private run dir, in a data dir the unprivileged child can traverse.
  chmodSync(reg.dataDir, 0o755);
  mkdirSync(join(reg.dataDir, 'run'), { mode: 0o700 });
  host = startModelHost({ registryUrl: reg.url, socketPath: join(reg.dataDir, 'run', 'mh.sock'), cacheDir: join(reg.dataDir, 'cache'), preload: ['adder', 'heavy'], log: (l) => logs.push(l) });
  await host.ready();

  const outcomes = new Map<string, number>();
  const note = (o: string) => outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
  let stop = false;
  /** restarts count → time of the first success served by that incarnation of the child. */
  const firstOk = new Map<number, number>();
  const client = async (i: number) => {
    for (let n = 0; !stop && n < 20_000; n++) {
      const model = (i + n) % 2 ? 'adder' : 'heavy';
      const deadline = Date.now() + DEADLINE_MS;
      const hang = new Promise<string>((r) => setTimeout(() => r('hung'), DEADLINE_MS + HANG_GRACE_MS).unref());
      const call = host!.client.infer(model, '', input(), { deadline }).then(
        (out) => ((out.y!.data as Float32Array)[0] === expected[model] ? 'ok' : 'wrong'),
        (err: { code?: string }) => err.code ?? 'no-code',
      );
      const outcome = await Promise.race([call, hang]);
      note(outcome);
      if (outcome === 'ok') {
        if (!firstOk.has(host!.restarts)) firstOk.set(host!.restarts, Date.now());
      } else await sleep(10);
    }
  };
  const load = Array.from({ length: CLIENTS }, (_, i) => client(i));

  const recoveries: Array<{ readyMs: number; servingMs: number }> = [];
  try {
    for (let k = 0; k < KILLS; k++) {
      await until('traffic before the kill', () => (outcomes.get('ok') ?? 0) > 50 * (k + 1), 20_000);
      const pid = host.pid!;
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      await until('the supervisor to notice', () => host!.pid !== pid, 10_000, 5);
      await host.ready();
      const readyMs = Date.now() - killedAt;
      await until('a success after the restart', () => firstOk.has(k + 1), 10_000, 5);
      recoveries.push({ readyMs, servingMs: firstOk.get(k + 1)! - killedAt });
      expect(() => process.kill(pid, 0)).toThrow(); // the killed child is gone, not orphaned
    }
  } finally {
    stop = true;
    await Promise.all(load);
  }

  const summary = Object.fromEntries(outcomes);
  console.log(`model-host kill -9 ×${KILLS} under ${CLIENTS} clients: outcomes ${JSON.stringify(summary)}; back ready after ${recoveries.map((r) => `${r.readyMs} ms`).join(', ')}; serving again after ${recoveries.map((r) => `${r.servingMs} ms`).join(', ')}`);
  // 'timeout' is the server answering at the deadline (possible when shared cores are starved): an
  // answer in time too. A hang, a wrong answer or any other error is not.
  expect([...outcomes.keys()].filter((o) => !['ok', 'unavailable', 'timeout'].includes(o))).toEqual([]);
  expect(outcomes.get('unavailable') ?? 0).toBeGreaterThan(0);
  expect(host.restarts).toBe(KILLS);
  const models = await host.client.models();
  for (const name of ['adder', 'heavy']) expect(models.find((m) => m.name === name)).toMatchObject({ state: 'ready', pinned: true });
});
