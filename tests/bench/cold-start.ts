// Cold start: time from process start to ready with real models preloaded (the model-host, with a
// cold and a warm blob cache; the edge's CPU worker pool), and each model's first request after
// ready against its steady-state p50, measured right after in the same run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnListening } from './lib/spawn.ts';
import { projectRoot } from '../../edge/paths.ts';
import type { ModelManifest } from '../../registry/manifest.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { createBenchManager, createWorkspace, modelHostAvailable, noise, OCR_CLS, OCR_DET, OCR_REC, startBenchHost, startBenchRegistry } from './lib/fixtures.ts';
import { sequential } from './lib/load.ts';
import { edgeAvailable, startEdge } from './lib/edge.ts';
import { httpCall } from './lib/http-load.ts';
import http from 'node:http';
import { createReport, type BenchContext, type BenchReport } from './lib/report.ts';
import { fmt } from './lib/stats.ts';

const ISNET_SMALL = join(projectRoot, 'node_modules/@imgly/background-removal/dist/a620c8c752bdf5c69d98.onnx');

interface Subject {
  name: string;
  file: string;
  dims: number[];
  steady: number;
}

const input = (dims: number[]): (() => NamedTensors) => {
  const n = dims.reduce((a, b) => a * b, 1);
  const one = noise(n, 11);
  return () => ({ [dims.length === 4 && dims[1] === 3 && dims[2] === 1024 ? 'input' : 'x']: { type: 'FP32', dims, data: one.slice() } });
};

interface Row {
  placement: string;
  readyMs: number;
  firsts: { model: string; firstUs: number; p50Us: number; errors: number; error?: string }[];
}

async function firstThenSteady(subjects: Subject[], infer: (name: string, x: NamedTensors) => Promise<unknown>): Promise<Row['firsts']> {
  const out: Row['firsts'] = [];
  for (const s of subjects) {
    const mk = input(s.dims);
    const t0 = performance.now();
    let error: string | undefined;
    try {
      await infer(s.name, mk());
    } catch (err) {
      error = (err as Error).message.slice(0, 200);
    }
    const firstUs = (performance.now() - t0) * 1000;
    const steady = await sequential(s.steady, 0, () => infer(s.name, mk()));
    out.push({ model: s.name, firstUs, p50Us: steady.latencyUs.p50, errors: steady.errors + (error ? 1 : 0), ...(error ? { error } : {}) });
  }
  return out;
}

function demoAvailable(): boolean {
  return existsSync(join(projectRoot, 'demo/cli.ts'));
}

/** POSTs a file's bytes and resolves when a 2xx answer has been read in full. */
function postFile(url: string, body: Uint8Array, contentType: string, agent: http.Agent): () => Promise<void> {
  return httpCall({ url, body, headers: { 'content-type': contentType } }, agent, 180_000);
}

/**
 * The demo: `edgenn demo` sets everything up once (prepare, publish, deploy, warm); then
 * `edgenn serve` restarts on that data dir, restores the handlers and preloads every demo model
 * (IS-Net on the model-host included) before /healthz/ready; then each handler's first request.
 */
async function demoColdStart(ws: ReturnType<typeof createWorkspace>, ctx: BenchContext, rows: Row[], report: BenchReport): Promise<void> {
  const data = join(ws.dir, 'demo-data');
  ctx.log('cold-start: edgenn demo (first start: prepare, publish, deploy, warm)');
  const first = await spawnListening([join(projectRoot, 'edge/cli/edgenn.js'), 'demo', '--data', data, '--port', '0'], { timeoutMs: 120_000 });
  const t0 = performance.now() - first.startMs;
  try {
    const end = Date.now() + 300_000;
    while (!/curl /.test(first.output()) && Date.now() < end && first.child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    if (!/curl /.test(first.output())) throw new Error(`edgenn demo did not finish setting up:\n${first.output().slice(-1500)}`);
    rows.push({ placement: 'edgenn demo, first start (prepare models, publish, deploy 3 handlers, warm; → instructions printed)', readyMs: performance.now() - t0, firsts: [] });
  } finally {
    await first.stop();
  }
  ctx.log('cold-start: edgenn serve restarting on the demo data dir');
  const token = readFileSync(join(data, 'token'), 'utf8').trim();
  const again = await startEdge(ws, ctx, { data, token, extraArgs: ['--memory-budget', '4GiB'] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const text = readFileSync(join(projectRoot, 'demo/samples/text.png'));
    const photo = readFileSync(join(projectRoot, 'demo/samples/photo.png'));
    const calls: Record<string, () => Promise<void>> = {
      '/ocr (det → cls → rec, CPU workers)': postFile(`${again.url}/ocr`, text, 'image/png', agent),
      '/background (IS-Net fp32, model-host)': postFile(`${again.url}/background`, photo, 'image/png', agent),
    };
    const firsts = await firstThenSteady(
      [
        { name: '/ocr (det → cls → rec, CPU workers)', file: '', dims: [1], steady: 10 },
        { name: '/background (IS-Net fp32, model-host)', file: '', dims: [1], steady: 2 },
      ],
      (n) => calls[n]!(),
    );
    rows.push({ placement: `edgenn serve restart with the demo (spawn → listening ${fmt(again.listenMs)} ms; → /healthz/ready, every demo model warm)`, readyMs: again.readyMs, firsts });
  } catch (err) {
    report.notes.push(`The demo's requests failed: ${(err as Error).message.slice(0, 300)}`);
  } finally {
    agent.destroy();
    await again.stop();
  }
}

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const report = createReport('cold-start', 'Cold start: process start to ready with models preloaded; first request vs steady p50', ctx);
  report.baseline = 'each model\'s steady-state p50 (sequential requests right after its first one, same process, same input shape).';
  const ws = createWorkspace();
  const registry = await startBenchRegistry(ws);
  const subjects: Subject[] = [
    { name: 'ocr-cls', file: OCR_CLS, dims: [1, 3, 48, 192], steady: ctx.quick ? 20 : 60 },
    { name: 'ocr-det', file: OCR_DET, dims: [1, 3, 320, 320], steady: ctx.quick ? 5 : 15 },
    { name: 'ocr-rec', file: OCR_REC, dims: [1, 3, 48, 320], steady: ctx.quick ? 5 : 20 },
  ];
  if (!ctx.quick) subjects.push({ name: 'isnet-small', file: ISNET_SMALL, dims: [1, 3, 1024, 1024], steady: 3 });
  const rows: Row[] = [];
  const manifests: ModelManifest[] = [];
  try {
    for (const s of subjects) manifests.push(await registry.publish(s.file, { name: s.name, version: '1.0.0' }));
    const totalMiB = manifests.reduce((n, m) => n + m.size, 0) / 1048576;
    report.notes.push(`Preloaded: ${subjects.map((s, i) => `${s.name} (${(manifests[i]!.size / 1048576).toFixed(1)} MiB)`).join(', ')}; ${totalMiB.toFixed(1)} MiB in all.`);

    if (modelHostAvailable()) {
      const names = subjects.map((s) => s.name);
      for (const cache of ['cold', 'warm'] as const) {
        ctx.log(`cold-start: model-host, ${cache} blob cache`);
        // The same host name reuses its cache directory: the second start finds every blob there.
        const h = await startBenchHost({ registry, ws, preload: names, name: 'cold-start' });
        try {
          const firsts = cache === 'cold' ? await firstThenSteady(subjects, (n, x) => h.host.client.infer(n, '', x)) : [];
          rows.push({ placement: `model-host, ${cache} blob cache (spawn → /v2/health/ready)`, readyMs: h.readyMs, firsts });
        } finally {
          await h.stop();
        }
      }
    } else report.notes.push('The model-host bundle is not built on this commit: the model-host was not measured.');

    if (edgeAvailable()) {
      // `edgenn serve` restarting on a data dir with a deployment: it restores the handler and
      // preloads its models before /healthz/ready answers 200.
      ctx.log('cold-start: edgenn serve (first start, publish, deploy)');
      const first = await startEdge(ws, ctx);
      const token = first.token;
      const data = first.data;
      try {
        await first.publish(OCR_CLS, 'ocr-cls');
        await first.publish(OCR_REC, 'ocr-rec');
        await first.deploy(join(projectRoot, 'tests/bench/handlers/hop.ts'), 'bench-cold', '/cold', ['ocr-cls', 'ocr-rec']);
      } finally {
        await first.stop();
      }
      ctx.log('cold-start: edgenn serve (restart with the deployment)');
      const again = await startEdge(ws, ctx, { data, token });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const calls: Record<string, () => Promise<void>> = {
          'ocr-cls': httpCall({ url: `${again.url}/cold?model=ocr-cls`, method: 'GET' }, agent),
          'ocr-rec': httpCall({ url: `${again.url}/cold?model=ocr-rec`, method: 'GET' }, agent),
        };
        const firsts = await firstThenSteady(
          [subjects[0]!, { ...subjects[0]!, name: 'ocr-rec' }],
          (n) => calls[n]!(),
        );
        rows.push({ placement: `edgenn serve restart, deployment of ocr-cls + ocr-rec (spawn → listening ${fmt(again.listenMs)} ms; → /healthz/ready)`, readyMs: again.readyMs, firsts });
      } finally {
        agent.destroy();
        await again.stop();
      }
    } else report.notes.push('`edgenn serve` is not on this commit: the edge was not measured.');

    if (edgeAvailable() && demoAvailable() && !ctx.quick) await demoColdStart(ws, ctx, rows, report);
    else report.notes.push(ctx.quick ? 'Quick mode skips the demo (IS-Net alone takes tens of seconds to warm).' : 'The demo (`edgenn demo`) is not on this commit: it was not measured.');

    ctx.log('cold-start: CPU worker pool');
    const t0 = performance.now();
    const { manager } = createBenchManager({ registry, ws, backend: 'cpu-pool' });
    try {
      for (const m of manifests.filter((m) => m.name !== 'isnet-small')) {
        await manager.ensure(m, { pin: true });
        await manager.route(m.name, '', m.version);
      }
      const readyMs = performance.now() - t0;
      const firsts = await firstThenSteady(subjects.filter((s) => s.name !== 'isnet-small'), (n, x) => manager.get({ name: n }).infer(x));
      rows.push({ placement: 'CPU workers (pool start → every model ready; the OCR models only)', readyMs, firsts });
    } finally {
      await manager.close();
    }
  } finally {
    await registry.close();
    ws.cleanup();
  }

  report.tables.push({ title: 'Start to ready', columns: ['placement', 'ready after (ms)'], rows: rows.map((r) => [r.placement, fmt(r.readyMs)]) });
  const firstRows: (string | number)[][] = [];
  let worst = 0;
  for (const r of rows) {
    for (const f of r.firsts) {
      const ratio = f.firstUs / f.p50Us;
      worst = Math.max(worst, ratio);
      firstRows.push([r.placement.split(' (')[0]!, f.model, fmt(f.firstUs / 1000), fmt(f.p50Us / 1000), `${fmt(ratio)}×`, f.errors, f.error ?? '']);
    }
  }
  report.tables.push({ title: 'First request after ready vs steady p50 (ms)', columns: ['placement', 'model', 'first', 'steady p50', 'ratio', 'errors', 'first error'], rows: firstRows });
  report.targets.push({ what: 'first request vs steady p50 (worst model)', target: '≤ 1.5×', measured: `${fmt(worst)}×`, met: firstRows.length ? worst <= 1.5 : null });
  report.notes.push('Warm-up runs on zeros at the declared shapes with every dynamic dimension set to 1 (the batch axis at each batch size the batcher forms). A model whose spatial dimensions are dynamic (OCR det: H and W; rec: W) is therefore warmed at a shape no real request has, and its first real request pays ONNX Runtime\'s per-shape planning; fixing that belongs in the engine\'s warm-up (model-host/engine/ort-backend.ts warmupInputs: a representative shape from the manifest, e.g. a `warmup` hint published with the model).');
  report.data = { rows };
  return report;
}
