// Hot swap under load: while closed-loop clients call `swap@stable`, v2 is published, loaded and
// warmed beside v1, the alias moves, and v1 drains. Counts failed and wrong answers (v1 adds 1, v2
// adds 2), through the CPU worker threads (engine manager) and through the model-host.
import { addModel } from '../fixtures/onnx-models.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { createBenchManager, createWorkspace, modelHostAvailable, startBenchHost, startBenchRegistry, type BenchRegistry } from './lib/fixtures.ts';
import { closedLoop, type LoadResult } from './lib/load.ts';
import { edgeAvailable, startEdge } from './lib/edge.ts';
import http from 'node:http';
import { join } from 'node:path';
import { projectRoot } from '../../edge/paths.ts';
import { createReport, type BenchContext, type BenchReport } from './lib/report.ts';
import { fmt } from './lib/stats.ts';

interface Outcome {
  placement: string;
  load: LoadResult;
  v1: number;
  v2: number;
  wrong: number;
  /** ms from publish to the alias serving v2. */
  swapMs: number;
  v1AfterSwap: number;
}

/** Sends one request and returns the bias of the version that answered (1 or 2). */
type Ask = (caller: number, seq: number) => Promise<number>;

/** For the engine and the model-host: x → y = x + bias, so bias = y − x. */
function askTensors(infer: (x: NamedTensors) => Promise<NamedTensors>): Ask {
  return async (c, seq) => {
    const x = (c * 100_000 + Math.max(0, seq)) % 1_000_000;
    const out = await infer({ x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4).fill(x) } });
    return Math.round((out.y!.data as Float32Array)[0]! - x);
  };
}

async function underLoad(placement: string, ask: Ask, swap: () => Promise<void>, ms: number, concurrency: number): Promise<Outcome> {
  let v1 = 0;
  let v2 = 0;
  let wrong = 0;
  let v1AfterSwap = 0;
  let swappedAt = Number.POSITIVE_INFINITY;
  let swapMs = Number.NaN;
  const swapping = (async () => {
    await new Promise((r) => setTimeout(r, ms / 4));
    const t0 = performance.now();
    await swap();
    swapMs = performance.now() - t0;
    swappedAt = performance.now();
  })();
  const load = await closedLoop({ concurrency, durationMs: ms }, async (c, seq) => {
    const sent = performance.now();
    const d = await ask(c, seq);
    if (d === 1) {
      v1++;
      if (sent > swappedAt) v1AfterSwap++;
    } else if (d === 2) v2++;
    else wrong++;
  });
  await swapping;
  return { placement, load, v1, v2, wrong, swapMs, v1AfterSwap };
}

async function viaCpuWorkers(registry: BenchRegistry, ws: ReturnType<typeof createWorkspace>, ms: number, c: number, tag: string): Promise<Outcome> {
  const name = `swap-cpu-${tag}`;
  const v1 = await registry.publish(addModel({ bias: 1 }), { name, version: '1.0.0', aliases: ['stable'] });
  const { manager } = createBenchManager({ registry, ws, backend: 'cpu-pool' });
  try {
    await manager.ensure(v1, { pin: true });
    await manager.route(name, 'stable', '1.0.0');
    // What the edge's lifecycle does on the registry's alias-moved event: resolve, load and warm, then move.
    return await underLoad(
      'CPU workers (engine manager)',
      askTensors((x) => manager.get({ name, alias: 'stable' }).infer(x)),
      async () => {
        await registry.publish(addModel({ bias: 2 }), { name, version: '2.0.0', aliases: ['stable'] });
        const m = await registry.client.resolve(`${name}@stable`);
        await manager.ensure(m, { pin: true });
        void manager.route(name, 'stable', m.version);
      },
      ms,
      c,
    );
  } finally {
    await manager.close();
  }
}

async function viaModelHost(registry: BenchRegistry, ws: ReturnType<typeof createWorkspace>, ms: number, c: number, tag: string): Promise<Outcome> {
  const name = `swap-mh-${tag}`;
  await registry.publish(addModel({ bias: 1 }), { name, version: '1.0.0', aliases: ['stable'] });
  const h = await startBenchHost({ registry, ws, preload: [`${name}@stable`] });
  try {
    return await underLoad(
      'model-host (v2 repository load)',
      askTensors((x) => h.host.client.infer(name, 'stable', x)),
      async () => {
        await registry.publish(addModel({ bias: 2 }), { name, version: '2.0.0', aliases: ['stable'] });
        // Triton's repository load: resolves the alias in the registry, loads and warms, then moves it.
        await h.host.client.load(name, 'stable');
      },
      ms,
      c,
    );
  } finally {
    await h.stop();
  }
}

async function viaEdge(ws: ReturnType<typeof createWorkspace>, ctx: BenchContext, ms: number, c: number): Promise<Outcome> {
  const edge = await startEdge(ws, ctx);
  const agent = new http.Agent({ keepAlive: true, maxSockets: c + 1 });
  try {
    await edge.publish(ws.file('swap-1.onnx', addModel({ bias: 1 })), 'swap', '1.0.0', ['stable']);
    await edge.deploy(join(projectRoot, 'tests/bench/handlers/hop.ts'), 'bench-swap', '/swap', ['swap@stable']);
    // handlers/hop.ts sends x = [1, 2, 3, 4] and answers y[0] = 1 + bias.
    const url = `${edge.url}/swap?model=swap@stable`;
    const ask: Ask = () =>
      new Promise((resolve, reject) => {
        http
          .get(url, { agent }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => (res.statusCode === 200 ? resolve(Math.round((JSON.parse(text) as { first: number }).first - 1)) : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`))));
          })
          .on('error', reject);
      });
    return await underLoad(
      'edge (edgenn serve follows the registry feed)',
      ask,
      async () => {
        await edge.publish(ws.file('swap-2.onnx', addModel({ bias: 2 })), 'swap', '2.0.0', ['stable']);
        // The edge moves the alias by itself once v2 is warm; the swap is done when v2 answers.
        const end = Date.now() + 60_000;
        while (Date.now() < end && (await ask(0, 0).catch(() => 0)) !== 2) await new Promise((r) => setTimeout(r, 10));
      },
      ms,
      c,
    );
  } finally {
    agent.destroy();
    await edge.stop();
  }
}

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const report = createReport('hot-swap', 'Hot swap: failed requests while a new version is published and an alias moves under load', ctx);
  report.baseline = 'the same clients before the swap (answers from v1) in the same run; a failure is any request that threw.';
  const ws = createWorkspace();
  const registry = await startBenchRegistry(ws);
  const ms = ctx.quick ? 2000 : 6000;
  const concurrency = 8;
  const outcomes: Outcome[] = [];
  try {
    const rounds = ctx.quick ? 1 : 2;
    for (let i = 0; i < rounds; i++) {
      ctx.log(`hot-swap: round ${i + 1}: CPU workers`);
      outcomes.push(await viaCpuWorkers(registry, ws, ms, concurrency, String(i)));
      if (modelHostAvailable()) {
        ctx.log(`hot-swap: round ${i + 1}: model-host`);
        outcomes.push(await viaModelHost(registry, ws, ms, concurrency, String(i)));
      }
      if (edgeAvailable()) {
        ctx.log(`hot-swap: round ${i + 1}: edge`);
        outcomes.push(await viaEdge(ws, ctx, ms, concurrency));
      }
    }
    if (!modelHostAvailable()) report.notes.push('The model-host bundle is not built on this commit: the model-host was not measured.');
    if (!edgeAvailable()) report.notes.push('`edgenn serve` is not on this commit: the edge was not measured.');
  } finally {
    await registry.close();
    ws.cleanup();
  }
  report.tables.push({
    title: `add model v1 (x+1) → v2 (x+2) behind \`stable\`, ${concurrency} closed-loop clients, ${ms / 1000} s, swap at ${ms / 4000} s`,
    columns: ['placement', 'requests', 'failed', 'wrong answers', 'from v1', 'from v2', 'v1 answers sent after the move', 'publish → serving v2 (ms)', 'p50 µs', 'p99 µs'],
    rows: outcomes.map((o) => [o.placement, o.load.requests, o.load.errors, o.wrong, o.v1, o.v2, o.v1AfterSwap, fmt(o.swapMs), fmt(o.load.latencyUs.p50), fmt(o.load.latencyUs.p99)]),
  });
  const failed = outcomes.reduce((n, o) => n + o.load.errors + o.wrong, 0);
  const swapped = outcomes.every((o) => o.v2 > 0);
  report.targets.push({ what: 'failed requests during the swaps', target: '0', measured: `${failed} of ${outcomes.reduce((n, o) => n + o.load.requests, 0)}${swapped ? '' : ' (a swap did not reach v2)'}`, met: failed === 0 && swapped });
  const samples = outcomes.flatMap((o) => o.load.errorSamples);
  if (samples.length) report.notes.push(`Errors seen: ${[...new Set(samples)].join(' / ')}`);
  report.notes.push('Through the edge, nothing is driven by hand: the benchmark publishes v2 with `--alias stable` to the embedded registry, and `edgenn serve` follows its change feed, loads and warms v2, then moves the alias; "publish → serving v2" is until the first answer from v2.');
  report.notes.push('For the CPU workers the benchmark plays the edge lifecycle\'s part (resolve the alias, ensure = load + warm, then route); the edge follows the registry feed to do the same. The model-host path uses the repository load endpoint, which moves the alias only once the new version is warm.');
  report.data = { outcomes: outcomes.map((o) => ({ ...o, load: { requests: o.load.requests, errors: o.load.errors, errorSamples: o.load.errorSamples, latencyUs: o.load.latencyUs, rps: o.load.rps } })) };
  return report;
}
