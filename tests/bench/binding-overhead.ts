// Binding overhead: one request at a time, what each placement adds over a raw `session.run` in this
// process (the floor): the engine in process, the CPU worker threads (piscina), and the model-host
// (KServe v2 over a Unix socket), on a tiny generated model and on the real OCR direction classifier.
import { addModel } from '../fixtures/onnx-models.ts';
import { closeSession, openSession, runSession } from '../../model-host/engine/onnx.ts';
import type { ModelManifest } from '../../registry/manifest.ts';
import { defaultIntraOpThreads } from '../../model-host/options.ts';
import { addInput, clsInput, createBenchManager, createWorkspace, modelHostAvailable, OCR_CLS, startBenchHost, startBenchRegistry, type HostHandle, type InputMaker } from './lib/fixtures.ts';
import { interleaved, type LoadResult } from './lib/load.ts';
import { createReport, type BenchContext, type BenchReport } from './lib/report.ts';
import { fmt } from './lib/stats.ts';

const OFF = { maxBatchSize: 1 };

interface Subject {
  name: string;
  label: string;
  model: string | Uint8Array;
  input: InputMaker;
  n: number;
}

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const report = createReport('binding-overhead', 'Binding overhead: each placement against raw session.run in process', ctx);
  report.baseline = `raw \`session.run\` through model-host/engine/onnx.ts in the benchmark process (the floor), one intra-op thread (what each CPU worker uses) and the model-host's default intra-op threads (half the cores, at least 1; ${defaultIntraOpThreads()} here); every path sends a fresh copy of the same input, one request at a time, in alternating rounds.`;
  const ws = createWorkspace();
  const registry = await startBenchRegistry(ws);
  const subjects: Subject[] = [
    { name: 'tiny', label: 'tiny add, x: float32[1,4]', model: addModel({ width: 4 }), input: addInput(4), n: ctx.quick ? 400 : 4000 },
    { name: 'ocr-cls', label: 'OCR cls, x: float32[1,3,48,192] (0.58 MB)', model: OCR_CLS, input: clsInput(), n: ctx.quick ? 150 : 800 },
  ];
  const manifests: Record<string, ModelManifest> = {};
  for (const s of subjects) manifests[s.name] = await registry.publish(s.model, { name: s.name, version: '1.0.0', placement: 'cpu' });

  const cpu = createBenchManager({ registry, ws, backend: 'cpu-pool', batching: OFF });
  const cpuBatched = createBenchManager({ registry, ws, backend: 'cpu-pool' });
  const inproc = createBenchManager({ registry, ws, backend: 'in-process', batching: OFF });
  let host: HostHandle | undefined;
  const rows: (string | number)[][] = [];
  const figures: Record<string, Record<string, LoadResult['latencyUs']>> = {};
  try {
    for (const m of [cpu.manager, cpuBatched.manager, inproc.manager]) {
      for (const s of subjects) {
        await m.ensure(manifests[s.name]!, { pin: true });
        await m.route(s.name, '', '1.0.0');
      }
    }
    if (modelHostAvailable()) host = await startBenchHost({ registry, ws, preload: subjects.map((s) => s.name), batching: OFF });
    else report.notes.push('The model-host bundle (dist/model-host/main.js) is not built on this commit: the model-host path was not measured.');

    for (const s of subjects) {
      const path = typeof s.model === 'string' ? s.model : ws.file(`${s.name}.onnx`, s.model);
      const floor1 = await openSession(path, { intraOpNumThreads: 1 });
      const floorN = await openSession(path, { intraOpNumThreads: defaultIntraOpThreads() });
      try {
        const paths: Record<string, (seq: number) => Promise<unknown>> = {
          'floor, 1 thread': () => runSession(floor1.session, s.input()),
          'floor, model-host threads': () => runSession(floorN.session, s.input()),
          'engine in process (manager → batcher → session)': () => inproc.manager.get({ name: s.name }).infer(s.input()),
          'CPU workers (manager → piscina worker)': () => cpu.manager.get({ name: s.name }).infer(s.input()),
          'CPU workers, default batching (maxBatchSize 8)': () => cpuBatched.manager.get({ name: s.name }).infer(s.input()),
        };
        if (host) {
          const client = host.host.client;
          paths['model-host (v2 binary over Unix socket)'] = () => client.infer(s.name, '', s.input());
        }
        ctx.log(`binding-overhead: ${s.label}: ${s.n} requests per path`);
        const res = await interleaved(paths, { n: s.n, warmup: ctx.quick ? 20 : 100 });
        figures[s.name] = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, v.latencyUs]));
        const f1 = res['floor, 1 thread']!.latencyUs;
        const fN = res['floor, model-host threads']!.latencyUs;
        for (const [k, v] of Object.entries(res)) {
          const floor = k.startsWith('model-host') || k.includes('model-host threads') ? fN : f1;
          const isFloor = k.startsWith('floor');
          rows.push([k, s.label, fmt(v.latencyUs.p50), fmt(v.latencyUs.p99), isFloor ? '–' : fmt(v.latencyUs.p50 - floor.p50), isFloor ? '–' : fmt(v.latencyUs.p99 - floor.p99), v.requests, v.errors]);
        }
      } finally {
        await closeSession(floor1.session);
        await closeSession(floorN.session);
      }
    }
  } finally {
    await host?.stop();
    await Promise.all([cpu.manager.close(), cpuBatched.manager.close(), inproc.manager.close()]);
    await registry.close();
    ws.cleanup();
  }

  report.tables.push({
    title: 'Latency, one request at a time (µs)',
    columns: ['path', 'model', 'p50', 'p99', 'p50 over floor', 'p99 over floor', 'requests', 'errors'],
    rows,
    note: 'CPU-worker paths are compared with the 1-thread floor (each worker runs one intra-op thread on this machine); the model-host with the floor at its own default thread count. "Over floor" is the difference of the percentiles.',
  });
  report.data = { figures };
  const over = (model: string, path: string, floor: string) => {
    const f = figures[model];
    return f?.[path] && f[floor] ? f[path]!.p50 - f[floor]!.p50 : undefined;
  };
  for (const s of subjects) {
    const c = over(s.name, 'CPU workers (manager → piscina worker)', 'floor, 1 thread');
    const h = over(s.name, 'model-host (v2 binary over Unix socket)', 'floor, model-host threads');
    report.targets.push({ what: `CPU-worker overhead p50, ${s.name}`, target: '≤ 100 µs', measured: c === undefined ? '–' : `${fmt(c)} µs`, met: c === undefined ? null : c <= 100 });
    report.targets.push({ what: `model-host overhead p50, ${s.name}`, target: '≤ 300 µs', measured: h === undefined ? '–' : `${fmt(h)} µs`, met: h === undefined ? null : h <= 300 });
  }
  report.notes.push('`env.AI.run` from a handler inside workerd (the edge\'s own path: workerd → inference host API socket → the same CPU workers) is measured by the workerd-hop benchmark, against the same handler called in process.');
  report.notes.push('With the default batching options (maxBatchSize 8, maxQueueDelayUs 0) a lone request on an idle worker runs at once: the batcher holds requests back only while every worker is busy, so one request at a time costs what it costs unbatched (before that, it waited out the 2 ms delay: p50 2,327 µs on the tiny model, 3,538 µs on OCR cls, in the 2026-11-23 23:47 run). The targets are taken with batching off (maxBatchSize 1), which is the pure transport cost.');
  return report;
}
