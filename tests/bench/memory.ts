// Memory: resident memory of the model-host and of the edge's CPU worker pool against the sum of
// the model files they hold, and the model-host's LRU holding its byte budget while more models are
// loaded than fit (RSS sampled after every load).
import { join } from 'node:path';
import { projectRoot } from '../../edge/paths.ts';
import { largeModel } from '../fixtures/onnx-models.ts';
import type { ModelManifest } from '../../registry/manifest.ts';
import { edgeAvailable, startEdge } from './lib/edge.ts';
import { childPids, createBenchManager, createWorkspace, modelHostAvailable, OCR_CLS, OCR_DET, OCR_REC, rssOf, startBenchHost, startBenchRegistry } from './lib/fixtures.ts';
import { createReport, type BenchContext, type BenchReport } from './lib/report.ts';
import { fmt, MiB } from './lib/stats.ts';

const ISNET_SMALL = join(projectRoot, 'node_modules/@imgly/background-removal/dist/a620c8c752bdf5c69d98.onnx');

const settle = () => new Promise((r) => setTimeout(r, 300));

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const report = createReport('memory', 'Memory: resident memory against model sizes, and the LRU holding its budget', ctx);
  report.baseline = 'each process\'s own resident memory before any model is loaded, in the same run; model sizes are the published file sizes.';
  const ws = createWorkspace();
  const registry = await startBenchRegistry(ws);
  const real: { file: string; name: string }[] = [
    { name: 'ocr-cls', file: OCR_CLS },
    { name: 'ocr-det', file: OCR_DET },
    { name: 'ocr-rec', file: OCR_REC },
  ];
  if (!ctx.quick) real.push({ name: 'isnet-small', file: ISNET_SMALL });
  const budgetMiB = 96;
  const lruModels = 6;
  const lruSizeMiB = 16;
  try {
    const manifests: ModelManifest[] = [];
    for (const r of real) manifests.push(await registry.publish(r.file, { name: r.name, version: '1.0.0' }));

    // 1. The edge's CPU placement (first, while this process holds little else): worker threads live in the edge process, so its RSS is what counts.
    const before = process.memoryUsage.rss();
    const { manager, pool } = createBenchManager({ registry, ws, backend: 'cpu-pool' });
    try {
      const rows: (string | number)[][] = [];
      await settle();
      const withPool = process.memoryUsage.rss();
      rows.push([`(${pool!.workers} worker thread(s), no models)`, '–', fmt(MiB(withPool)), fmt(MiB(withPool - before)), '–']);
      let files = 0;
      for (const m of manifests.filter((m) => m.name !== 'isnet-small')) {
        ctx.log(`memory: CPU pool loads ${m.name}`);
        const st = await manager.ensure(m, { pin: true });
        await settle();
        files += m.size;
        const rss = process.memoryUsage.rss();
        rows.push([`+ ${m.name}`, fmt(MiB(files)), fmt(MiB(rss)), fmt(MiB(rss - before)), fmt(MiB(st.residentBytes ?? 0))]);
      }
      report.tables.push({ title: 'edge CPU worker pool: this process\'s resident memory as the OCR models load (MiB)', columns: ['step', 'sum of model files', 'RSS', 'RSS over the process before the pool', 'charged for this model'], rows });
    } finally {
      await manager.close();
    }
    // 2. `edgenn serve`: the edge process, its model-host and one workerd per deployment.
    if (edgeAvailable()) {
      ctx.log('memory: edgenn serve');
      const edge = await startEdge(ws, ctx);
      try {
        await settle();
        const snap = () => {
          const hosts = childPids(edge.pid, 'model-host');
          const workerds = childPids(edge.pid, 'workerd');
          return { edge: rssOf(edge.pid), host: hosts.reduce((n, p) => n + rssOf(p), 0), workerd: workerds.reduce((n, p) => n + rssOf(p), 0), n: workerds.length };
        };
        const rows: (string | number)[][] = [];
        const add = (step: string, files: number) => {
          const x = snap();
          rows.push([step, files ? fmt(MiB(files)) : '–', fmt(MiB(x.edge)), fmt(MiB(x.host)), `${fmt(MiB(x.workerd))} (${x.n})`]);
        };
        add('started, nothing deployed', 0);
        const cpuModels = manifests.filter((m) => m.name !== 'isnet-small');
        for (const m of cpuModels) await edge.publish(real.find((r) => r.name === m.name)!.file, m.name);
        const files = cpuModels.reduce((n, m) => n + m.size, 0);
        await edge.deploy(join(projectRoot, 'tests/bench/handlers/hop.ts'), 'mem-a', '/a', cpuModels.map((m) => m.name));
        await settle();
        add(`deployment 1 with ${cpuModels.map((m) => m.name).join(', ')} (CPU workers)`, files);
        await edge.deploy(join(projectRoot, 'tests/bench/handlers/hop.ts'), 'mem-b', '/b', ['ocr-cls']);
        await settle();
        add('deployment 2 (same models: no new load)', files);
        report.tables.push({ title: 'edgenn serve resident memory (MiB)', columns: ['step', 'sum of model files', 'edge process (registry, front, CPU workers)', 'model-host', 'workerd (processes)'], rows });
      } finally {
        await edge.stop();
      }
    } else report.notes.push('`edgenn serve` is not on this commit: the edge process was not measured.');

    // 2b. The model-host: RSS per model loaded through the repository API.
    if (modelHostAvailable()) {
      const h = await startBenchHost({ registry, ws });
      try {
        await settle();
        const base = rssOf(h.host.pid);
        const rows: (string | number)[][] = [['(no models)', '–', fmt(MiB(base)), '–', '–']];
        let files = 0;
        for (const m of manifests) {
          ctx.log(`memory: model-host loads ${m.name}`);
          await h.host.client.load(m.name, m.version);
          await settle();
          files += m.size;
          const rss = rssOf(h.host.pid);
          const charged = (await h.host.client.models()).filter((s) => s.state === 'ready').reduce((n, s) => n + (s.residentBytes ?? 0), 0);
          rows.push([`+ ${m.name}`, fmt(MiB(files)), fmt(MiB(rss)), fmt(MiB(rss - base)), fmt(MiB(charged))]);
        }
        report.tables.push({ title: 'model-host resident memory as real models load (MiB)', columns: ['step', 'sum of model files', 'RSS', 'RSS over empty host', 'charged by the engine (residentBytes)'], rows });
      } finally {
        await h.stop();
      }

      // 3. The LRU: more models than the budget holds, loaded one after another.
      const lru: ModelManifest[] = [];
      for (let i = 0; i < lruModels; i++) lru.push(await registry.publish(largeModel(lruSizeMiB * 1048576, 4 + i), { name: `big-${i}`, version: '1.0.0' }));
      const h2 = await startBenchHost({ registry, ws, memoryBudget: `${budgetMiB}MiB` });
      try {
        await settle();
        const base = rssOf(h2.host.pid);
        const rows: (string | number)[][] = [];
        let maxCharged = 0;
        let maxRssOver = 0;
        // Twice round in the full run: a leak would show as RSS still climbing on the second lap.
        const order = ctx.quick ? lru : [...lru, ...lru];
        for (const m of order) {
          ctx.log(`memory: LRU loads ${m.name}`);
          let error = '';
          try {
            await h2.host.client.load(m.name, m.version);
          } catch (err) {
            error = (err as Error).message.slice(0, 120);
          }
          await settle();
          const ready = (await h2.host.client.models()).filter((s) => s.state === 'ready');
          const charged = ready.reduce((n, s) => n + (s.residentBytes ?? 0), 0);
          const rss = rssOf(h2.host.pid);
          maxCharged = Math.max(maxCharged, charged);
          maxRssOver = Math.max(maxRssOver, rss - base);
          rows.push([`+ ${m.name}`, ready.map((s) => s.name.replace('big-', '#')).join(' '), fmt(MiB(charged)), fmt(MiB(rss)), fmt(MiB(rss - base)), error]);
        }
        report.tables.push({ title: `model-host LRU: ${lruModels} generated models of ${lruSizeMiB} MiB each${ctx.quick ? '' : ', loaded twice round'}, budget ${budgetMiB} MiB (MiB)`, columns: ['step', 'resident models', 'charged (sum of residentBytes)', 'RSS', 'RSS over empty host', 'load error'], rows });
        report.targets.push({ what: 'LRU: charged bytes stay within the budget', target: `≤ ${budgetMiB} MiB`, measured: `max ${fmt(MiB(maxCharged))} MiB`, met: maxCharged <= budgetMiB * 1048576 });
        report.targets.push({ what: 'LRU: host RSS growth while models come and go', target: `reported (budget ${budgetMiB} MiB)`, measured: `max ${fmt(MiB(maxRssOver))} MiB over the empty host`, met: null });
      } finally {
        await h2.stop();
      }
    } else report.notes.push('The model-host bundle is not built on this commit: the model-host was not measured.');

  } finally {
    await registry.close();
    ws.cleanup();
  }
  report.notes.push(
    'RSS comes from /proc/<pid>/status (VmRSS). The engine charges each model with the resident bytes its load and warm-up measurably added (at least its file size per worker), which is what the LRU budget counts.',
    'Freed ONNX Runtime arenas are not always returned to the operating system (glibc malloc keeps them), so RSS after evictions can stay above the charged total; the budget bounds what the engine holds, not what the allocator keeps.',
  );
  return report;
}
