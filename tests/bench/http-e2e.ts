// HTTP end to end on loopback: the edge route (a handler deployed with `edgenn deploy` on
// `edgenn serve`, calling env.AI.run) vs the monolith baseline (a plain Hono app on
// @hono/node-server calling ONNX Runtime directly) vs the load-per-request baseline (creates the
// session on every request), on the real OCR direction classifier: requests/s, p50, p99, ratios.
import { join } from 'node:path';
import { projectRoot } from '../../edge/paths.ts';
import { createWorkspace, noise, OCR_CLS } from './lib/fixtures.ts';
import { httpLoad } from './lib/http-load.ts';
import type { LoadResult } from './lib/load.ts';
import { createReport, type BenchContext, type BenchReport } from './lib/report.ts';
import { spawnListening, type Spawned } from './lib/spawn.ts';
import { fmt } from './lib/stats.ts';
import { startEdge } from './lib/edge.ts';

const MONOLITH = join(projectRoot, 'tests/bench/monolith/server.ts');

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const report = createReport('http-e2e', 'HTTP end to end: edge route vs monolith vs load-per-request', ctx);
  report.baseline = 'a plain Hono app on @hono/node-server in a child process calling ONNX Runtime (through model-host/engine/onnx.ts, 1 intra-op thread like a CPU worker) with the session opened once (monolith), or opened and closed on every request (load-per-request); same body, same answer, same load generator, same run.';
  const ws = createWorkspace();
  const body = new Uint8Array(noise(3 * 48 * 192, 5).buffer);
  const durationMs = ctx.quick ? 2500 : 8000;
  const concurrency = 8;
  const results: Record<string, LoadResult> = {};
  const servers: Record<string, () => Promise<Spawned | { url: string; stop(): Promise<void> }>> = {
    monolith: () => spawnListening(['--import', 'tsx', MONOLITH, '--model', OCR_CLS, '--mode', 'session']),
    'load-per-request': () => spawnListening(['--import', 'tsx', MONOLITH, '--model', OCR_CLS, '--mode', 'per-request']),
  };
  const edge = await startEdge(ws, ctx).catch((err: unknown) => {
    report.notes.push(`The edge was not measured: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  });
  try {
    if (edge) {
      await edge.publish(OCR_CLS, 'ocr-cls');
      await edge.deploy(join(projectRoot, 'tests/bench/handlers/classify.ts'), 'bench-classify', '/classify', ['ocr-cls']);
      servers['edge (workerd handler → env.AI.run → CPU workers)'] = async () => ({ url: edge.url, stop: async () => {} });
    }
    for (const [label, start] of Object.entries(servers)) {
      ctx.log(`http-e2e: ${label}`);
      const s = await start();
      try {
        results[label] = await httpLoad({ url: `${s.url}/classify`, body }, { concurrency, durationMs, warmupPerCaller: 3 });
      } finally {
        await s.stop();
      }
    }
  } finally {
    await edge?.stop();
    ws.cleanup();
  }
  const mono = results.monolith!;
  const perReq = results['load-per-request']!;
  report.tables.push({
    title: `POST /classify, x: float32[1,3,48,192] (110 KiB body), ${concurrency} keep-alive connections, ${durationMs / 1000} s each`,
    columns: ['server', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'vs monolith', 'vs load-per-request'],
    rows: Object.entries(results).map(([k, r]) => [k, fmt(r.rps), fmt(r.latencyUs.p50 / 1000), fmt(r.latencyUs.p99 / 1000), r.errors, `${fmt(r.rps / mono.rps)}×`, `${fmt(r.rps / perReq.rps)}×`]),
  });
  const edgeKey = Object.keys(results).find((k) => k.startsWith('edge'));
  const e = edgeKey ? results[edgeKey] : undefined;
  report.targets.push({ what: 'edge throughput vs monolith', target: '≥ 80%', measured: e ? `${fmt((100 * e.rps) / mono.rps)}%` : '–', met: e ? e.rps >= 0.8 * mono.rps : null });
  report.targets.push({ what: 'edge throughput vs load-per-request', target: '≥ 50×', measured: e ? `${fmt(e.rps / perReq.rps)}×` : '–', met: e ? e.rps >= 50 * perReq.rps : null });
  report.targets.push({ what: 'monolith vs load-per-request (what preloading buys)', target: 'reported', measured: `${fmt(mono.rps / perReq.rps)}×`, met: null });
  const errs = Object.entries(results).flatMap(([k, r]) => r.errorSamples.map((s) => `${k}: ${s}`));
  if (errs.length) report.notes.push(`Errors seen: ${errs.slice(0, 5).join(' / ')}`);
  report.notes.push('The load generator runs in the benchmark process on the same 2 cores as the servers, as autocannon or wrk would; every server pays the same client cost.');
  report.data = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { rps: r.rps, latencyUs: r.latencyUs, errors: r.errors, requests: r.requests }]));
  return report;
}
