// The workerd hop: the same handler dispatched through WorkerInstance.fetch (the edge → workerd
// Unix socket → handler) and called as a function in this process, and its env.AI.run round trip
// (workerd → the edge's inference host API socket → the CPU workers) against the same router
// called in process: p50 and p99 in microseconds.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { projectRoot } from '../../edge/paths.ts';
import type { DeploymentSpec, InferenceRouter, WorkerRuntime } from '../../edge/contracts.ts';
import { parseRef } from '../../registry/manifest.ts';
import type { ModelManager } from '../../model-host/engine/manager.ts';
import { EdgennError } from '../../wit/errors.ts';
import type { Env } from '../../wit/types.ts';
import { addModel } from '../fixtures/onnx-models.ts';
import handler from './handlers/hop.ts';
import { createBenchManager, createWorkspace, OCR_CLS, startBenchRegistry } from './lib/fixtures.ts';
import { interleaved, type LoadResult } from './lib/load.ts';
import { createReport, type BenchContext, type BenchReport } from './lib/report.ts';
import { fmt } from './lib/stats.ts';

const RUNTIME = join(projectRoot, 'edge/workerd/runtime.ts');

type RuntimeModule = { createWorkerdRuntime(opts: { runDir: string; router: InferenceRouter; log?: (line: string) => void }): WorkerRuntime };

/** The router the edge's host API calls, over the bench's CPU-worker manager (allow-list checked upstream). */
function routerOver(manager: ModelManager): InferenceRouter {
  const get = (ref: string) => {
    const r = parseRef(ref);
    if (!r) throw new EdgennError('invalid-argument', `'${ref}' is not a model reference`);
    return manager.get(r);
  };
  return {
    run: (ref, inputs, opts) => get(ref).infer(inputs, opts),
    describe: (ref) => get(ref).manifest,
  };
}

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const report = createReport('workerd-hop', 'The workerd hop: handler dispatch and env.AI.run through workerd vs the same handler in process', ctx);
  report.baseline = 'the same handler module imported into this process and called as `handler.fetch(request, env)`, with an `env.AI.run` that calls the same router (CPU workers) directly; one request at a time, alternating rounds.';
  if (!existsSync(RUNTIME)) {
    report.notes.push('The workerd runtime (edge/workerd/runtime.ts) is not on this commit yet: nothing was measured.');
    report.targets.push({ what: 'workerd dispatch overhead p50', target: 'reported (design: ≈ 0.65 ms)', measured: '–', met: null });
    return report;
  }
  const { createWorkerdRuntime } = (await import(pathToFileURL(RUNTIME).href)) as RuntimeModule;
  const ws = createWorkspace();
  const registry = await startBenchRegistry(ws);
  const { manager } = createBenchManager({ registry, ws, backend: 'cpu-pool', batching: { maxBatchSize: 1 } });
  const router = routerOver(manager);
  const runtime = createWorkerdRuntime({ runDir: join(ws.dir, 'run'), router, log: (l) => process.env.EDGENN_BENCH_VERBOSE && console.error(l) });
  const rows: (string | number)[][] = [];
  const figures: Record<string, Record<string, LoadResult['latencyUs']>> = {};
  try {
    for (const [name, model] of [['tiny', addModel({ width: 4 })], ['ocr-cls', OCR_CLS]] as const) {
      const m = await registry.publish(model, { name, version: '1.0.0', placement: 'cpu' });
      await manager.ensure(m, { pin: true });
      await manager.route(name, '', m.version);
    }
    const modulePath = join(ws.dir, 'hop.js');
    await build({ entryPoints: [join(projectRoot, 'tests/bench/handlers/hop.ts')], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: modulePath, logLevel: 'error' });
    const spec: DeploymentSpec = {
      manifest: { name: 'bench-hop', routes: [{ pattern: '/*' }], models: ['tiny', 'ocr-cls'], limits: { requestTimeoutMs: 30_000, memoryMb: 128 }, compatibilityDate: '2024-09-23', compatibilityFlags: [], vars: {} },
      version: 1,
      modulePath,
    };
    const worker = await runtime.start(spec);
    const env = { AI: { run: (model: string, inputs: Parameters<InferenceRouter['run']>[1]) => router.run(model, inputs, {}) } } as unknown as Env;
    let id = 0;
    const viaWorkerd = async (url: string) => {
      const res = await worker.fetch(new Request(url), `bench-${++id}`);
      await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    };
    const inProcess = async (url: string) => {
      const res = await handler.fetch(new Request(url), env);
      await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    };
    const cases: [string, string, number][] = [
      ['dispatch (handler answers at once)', 'http://bench.local/', ctx.quick ? 300 : 3000],
      ['env.AI.run, tiny add x: float32[1,4]', 'http://bench.local/?model=tiny', ctx.quick ? 300 : 3000],
      ['env.AI.run, OCR cls x: float32[1,3,48,192]', 'http://bench.local/?model=ocr-cls', ctx.quick ? 100 : 800],
    ];
    for (const [label, url, n] of cases) {
      ctx.log(`workerd-hop: ${label}`);
      const res = await interleaved({ 'in process': () => inProcess(url), workerd: () => viaWorkerd(url) }, { n, warmup: ctx.quick ? 20 : 100 });
      const a = res['in process']!;
      const b = res.workerd!;
      figures[label] = { inProcess: a.latencyUs, workerd: b.latencyUs };
      rows.push([label, fmt(a.latencyUs.p50), fmt(a.latencyUs.p99), fmt(b.latencyUs.p50), fmt(b.latencyUs.p99), fmt(b.latencyUs.p50 - a.latencyUs.p50), fmt(b.latencyUs.p99 - a.latencyUs.p99), a.errors + b.errors]);
    }
  } finally {
    await runtime.close();
    await manager.close();
    await registry.close();
    ws.cleanup();
  }
  const d0 = figures['dispatch (handler answers at once)'];
  for (const [label, f] of Object.entries(figures)) {
    if (!label.startsWith('env.AI.run') || !d0) continue;
    // The binding's own round trip: the case minus the bare dispatch, on each side.
    const a = f.inProcess!.p50 - d0.inProcess!.p50;
    const b = f.workerd!.p50 - d0.workerd!.p50;
    rows.push([`${label}: the call alone (case − dispatch), p50`, fmt(a), '', fmt(b), '', fmt(b - a), '', '']);
  }
  report.tables.push({ title: 'One request at a time (µs)', columns: ['case', 'in process p50', 'in process p99', 'workerd p50', 'workerd p99', 'hop p50', 'hop p99', 'errors'], rows });
  const d = figures['dispatch (handler answers at once)'];
  const t = figures['env.AI.run, tiny add x: float32[1,4]'];
  report.targets.push({ what: 'workerd dispatch overhead p50', target: 'reported (design: ≈ 0.65 ms)', measured: d ? `${fmt(d.workerd!.p50 - d.inProcess!.p50)} µs` : '–', met: null });
  report.targets.push({ what: 'workerd dispatch + env.AI.run round trip overhead p50, tiny', target: 'reported', measured: t ? `${fmt(t.workerd!.p50 - t.inProcess!.p50)} µs` : '–', met: null });
  report.notes.push('The workerd path is the edge\'s own: WorkerInstance.fetch proxies over the deployment\'s Unix socket; env.AI.run inside workerd goes to the inference host API socket, which calls the same router. Batching is off (maxBatchSize 1) so the hop is not hidden behind a queue delay.');
  report.data = { figures };
  return report;
}
