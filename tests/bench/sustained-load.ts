// Sustained load: N seconds (default 60; --quick 10; --seconds N) of mixed closed-loop traffic over
// several models in both placements (CPU worker threads in this process, the model-host child), with
// every error counted, p99 per model, and resident memory after the run against after warm-up.
import { addModel } from '../fixtures/onnx-models.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { addInput, childPids, clsInput, createBenchManager, createWorkspace, modelHostAvailable, OCR_CLS, rssOf, startBenchHost, startBenchRegistry, type HostHandle, type InputMaker } from './lib/fixtures.ts';
import type { ModelManager } from '../../model-host/engine/manager.ts';
import { closedLoop } from './lib/load.ts';
import { edgeAvailable, startEdge, type BenchEdge } from './lib/edge.ts';
import { httpCall } from './lib/http-load.ts';
import http from 'node:http';
import { join } from 'node:path';
import { projectRoot } from '../../edge/paths.ts';
import { createReport, type BenchContext, type BenchReport } from './lib/report.ts';
import { fmt, Histogram, MiB } from './lib/stats.ts';

interface Route {
  label: string;
  input: InputMaker;
  infer: (x: NamedTensors) => Promise<unknown>;
  hist: Histogram;
  errors: number;
}

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const seconds = ctx.seconds ?? (ctx.quick ? 10 : 60);
  const warmupS = ctx.quick ? 2 : 5;
  const concurrency = 8;
  const report = createReport('sustained-load', `Sustained load: ${seconds} s of mixed traffic over both placements`, ctx);
  report.baseline = `each process's resident memory after ${warmupS} s of the same traffic (warm-up), in the same run.`;
  const ws = createWorkspace();
  const registry = await startBenchRegistry(ws);
  let host: HostHandle | undefined;
  let edge: BenchEdge | undefined;
  let manager: ModelManager | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const routes: Route[] = [];
  const memory: { t: number; edge: number; host: number; workerd: number }[] = [];
  let edgePid = process.pid;
  let hostPid: number | undefined;
  let workerdPids: number[] = [];
  try {
    if (edgeAvailable()) {
      // The real thing: `edgenn serve`, one deployed handler calling four models, two per placement.
      edge = await startEdge(ws, ctx);
      edgePid = edge.pid;
      // x: float32[1,4], what handlers/hop.ts sends for any model that is not OCR.
      const tinyFile = ws.file('tiny.onnx', addModel({ width: 4 }));
      for (const [name, file, placement] of [['tiny', tinyFile, 'cpu'], ['ocr-cls', OCR_CLS, 'cpu'], ['tiny-mh', tinyFile, 'gpu'], ['ocr-cls-mh', OCR_CLS, 'gpu']] as const) {
        await edge.publish(file, name, '1.0.0', [], placement);
      }
      await edge.deploy(join(projectRoot, 'tests/bench/handlers/hop.ts'), 'bench-mixed', '/mixed', ['tiny', 'ocr-cls', 'tiny-mh', 'ocr-cls-mh']);
      hostPid = childPids(edge.pid, 'model-host')[0];
      workerdPids = childPids(edge.pid, 'workerd');
      for (const [label, model] of [['tiny, edge → CPU workers', 'tiny'], ['ocr-cls, edge → CPU workers', 'ocr-cls'], ['tiny, edge → model-host', 'tiny-mh'], ['ocr-cls, edge → model-host', 'ocr-cls-mh']] as const) {
        const get = httpCall({ url: `${edge.url}/mixed?model=${model}`, method: 'GET' }, agent);
        routes.push({ label, input: () => ({}), infer: () => get(), hist: new Histogram(), errors: 0 });
      }
    } else {
      const m = createBenchManager({ registry, ws, backend: 'cpu-pool' }).manager;
      manager = m;
      const tiny = await registry.publish(addModel({ width: 16 }), { name: 'tiny', version: '1.0.0' });
      const cls = await registry.publish(OCR_CLS, { name: 'ocr-cls', version: '1.0.0' });
      for (const x of [tiny, cls]) {
        await m.ensure(x, { pin: true });
        await m.route(x.name, '', x.version);
      }
      const add = addInput(16);
      const img = clsInput();
      routes.push({ label: 'tiny via CPU workers', input: add, infer: (x) => m.get({ name: 'tiny' }).infer(x), hist: new Histogram(), errors: 0 });
      routes.push({ label: 'ocr-cls via CPU workers', input: img, infer: (x) => m.get({ name: 'ocr-cls' }).infer(x), hist: new Histogram(), errors: 0 });
      if (modelHostAvailable()) {
        host = await startBenchHost({ registry, ws, preload: ['tiny', 'ocr-cls'] });
        const client = host.host.client;
        routes.push({ label: 'tiny via model-host', input: add, infer: (x) => client.infer('tiny', '', x), hist: new Histogram(), errors: 0 });
        routes.push({ label: 'ocr-cls via model-host', input: img, infer: (x) => client.infer('ocr-cls', '', x), hist: new Histogram(), errors: 0 });
        hostPid = host.host.pid;
      } else report.notes.push('The model-host bundle is not built on this commit: only the CPU placement carried traffic.');
    }

    let measuring = false;
    const errorSamples = new Set<string>();
    const call = async (c: number) => {
      // Each caller keeps to one route, so a fast route cannot crowd the slow ones out.
      const r = routes[c % routes.length]!;
      const t0 = performance.now();
      try {
        await r.infer(r.input());
        if (measuring) r.hist.record((performance.now() - t0) * 1000);
      } catch (err) {
        if (measuring) r.errors++;
        if (errorSamples.size < 5) errorSamples.add(String((err as Error).message).slice(0, 160));
        throw err;
      }
    };
    ctx.log(`sustained-load: warm-up ${warmupS} s`);
    await closedLoop({ concurrency, durationMs: warmupS * 1000, keepSamples: false }, call);
    const sample = (t: number) => memory.push({ t, edge: rssOf(edgePid), host: rssOf(hostPid), workerd: workerdPids.reduce((n, p) => n + rssOf(p), 0) });
    sample(0);
    measuring = true;
    const t0 = performance.now();
    const timer = setInterval(() => sample(Math.round((performance.now() - t0) / 1000)), 1000);
    ctx.log(`sustained-load: ${seconds} s at concurrency ${concurrency} over ${routes.length} routes`);
    const total = await closedLoop({ concurrency, durationMs: seconds * 1000, keepSamples: false }, call);
    clearInterval(timer);
    sample(Math.round((performance.now() - t0) / 1000));
    const after = memory.at(-1)!;
    const warm = memory[0]!;
    report.tables.push({
      title: `${seconds} s, ${concurrency} closed-loop callers, ${concurrency / routes.length} per route`,
      columns: ['route', 'requests', 'errors', 'req/s', 'p50 ms', 'p99 ms', 'max ms'],
      rows: [
        ...routes.map((r) => {
          const s = r.hist.summary();
          return [r.label, s.n + r.errors, r.errors, fmt(s.n / total.elapsedS), fmt(s.p50 / 1000), fmt(s.p99 / 1000), fmt(s.max / 1000)];
        }),
        ['all', total.requests, total.errors, fmt(total.rps), fmt(total.latencyUs.p50 / 1000), fmt(total.latencyUs.p99 / 1000), fmt(total.latencyUs.max / 1000)],
      ],
    });
    const peak = (k: 'edge' | 'host' | 'workerd') => Math.max(...memory.map((m) => m[k]));
    const half = memory[Math.floor(memory.length / 2)]!;
    const row = (label: string, k: 'edge' | 'host' | 'workerd') => [label, fmt(MiB(warm[k])), fmt(MiB(half[k])), fmt(MiB(peak(k))), fmt(MiB(after[k])), `${fmt(after[k] / warm[k])}×`];
    report.tables.push({
      title: 'Resident memory (MiB)',
      columns: ['process', 'after warm-up', 'half-way', 'peak during run', 'after run', 'after / warm-up'],
      rows: [
        row(edge ? 'edgenn serve (edge, registry, CPU workers)' : 'edge side (this process: CPU workers, registry, load generator)', 'edge'),
        ...(hostPid ? [row('model-host', 'host')] : []),
        ...(workerdPids.length ? [row(`workerd (${workerdPids.length} process${workerdPids.length > 1 ? 'es' : ''})`, 'workerd')] : []),
      ],
    });
    report.targets.push({ what: 'errors during the run', target: '0', measured: `${total.errors} of ${total.requests}`, met: total.errors === 0 });
    report.targets.push({ what: 'p99 over all routes', target: 'bounded (reported)', measured: `${fmt(total.latencyUs.p99 / 1000)} ms`, met: null });
    report.targets.push({ what: 'edge-side RSS after run / after warm-up', target: '≤ 1.2×', measured: `${fmt(after.edge / warm.edge)}×`, met: after.edge / warm.edge <= 1.2 });
    if (workerdPids.length) {
      const r = after.workerd / warm.workerd;
      report.targets.push({ what: 'workerd RSS after run / after warm-up', target: '≤ 1.2×', measured: `${fmt(r)}× (half-way ${fmt(half.workerd / warm.workerd)}×)`, met: r <= 1.2 });
    }
    if (hostPid) report.targets.push({ what: 'model-host RSS after run / after warm-up', target: '≤ 1.2×', measured: `${fmt(after.host / warm.host)}×`, met: after.host / warm.host <= 1.2 });
    if (errorSamples.size) report.notes.push(`Errors seen: ${[...errorSamples].join(' / ')}`);
    report.notes.push(
      edge
        ? 'Through `edgenn serve`: HTTP → edge front → the deployed handler in workerd → env.AI.run → CPU workers or the model-host; the handler makes each model\'s input itself (GET, no body). Default batching.'
        : '`edgenn serve` is not on this commit: the placements were driven through the engine directly (CPU workers in the benchmark process, as they run in the edge process; the model-host as a child). Default batching (maxBatchSize 8, 2 ms queue delay).',
    );
  } finally {
    agent.destroy();
    await edge?.stop();
    await host?.stop();
    await manager?.close();
    await registry.close();
    ws.cleanup();
  }
  report.data = { memory, routes: routes.map((r) => ({ label: r.label, errors: r.errors, latencyUs: r.hist.summary() })) };
  return report;
}
