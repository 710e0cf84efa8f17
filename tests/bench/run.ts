// `npm run bench [-- --only a,b] [--quick] [--seconds N] [--summary-only]`: builds the bundles, runs each benchmark in
// its own Node process (so memory figures are its own), bounded in time, then writes results/summary.md.
// Benchmarks print figures and assert nothing about time; a benchmark that fails is reported, not retried.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// @ts-expect-error build.mjs is plain JavaScript
import { build } from '../../edge/build.mjs';
import { RESULTS_DIR, verdict, writeReport, type BenchContext, type BenchReport } from './lib/report.ts';
import { machineLine } from './lib/machine.ts';

type BenchModule = { run(ctx: BenchContext): Promise<BenchReport> };

/** In run order. Each entry: the module, and its time cap in seconds (full, quick). */
export const BENCHES: Record<string, { load: () => Promise<BenchModule>; capS: [number, number] }> = {
  'binding-overhead': { load: () => import('./binding-overhead.ts'), capS: [150, 60] },
  'workerd-hop': { load: () => import('./workerd-hop.ts'), capS: [90, 45] },
  'http-e2e': { load: () => import('./http-e2e.ts'), capS: [150, 90] },
  batching: { load: () => import('./batching.ts'), capS: [200, 90] },
  'cold-start': { load: () => import('./cold-start.ts'), capS: [360, 90] },
  'hot-swap': { load: () => import('./hot-swap.ts'), capS: [150, 90] },
  memory: { load: () => import('./memory.ts'), capS: [150, 90] },
  // Plus the run's own length (--seconds, default 60; 10 with --quick).
  'sustained-load': { load: () => import('./sustained-load.ts'), capS: [90, 60] },
};

const self = fileURLToPath(import.meta.url);

function options() {
  const { values } = parseArgs({
    options: { only: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false }, seconds: { type: 'string' }, child: { type: 'string' }, 'summary-only': { type: 'boolean', default: false } },
    strict: true,
  });
  const only = (values.only ?? []).flatMap((o) => o.split(',')).filter(Boolean);
  for (const o of only) if (!BENCHES[o]) throw new Error(`unknown benchmark '${o}'; choose from ${Object.keys(BENCHES).join(', ')}`);
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0 && seconds <= 3600)) throw new Error(`--seconds must be between 1 and 3600, got '${values.seconds}'`);
  return { only, quick: values.quick, seconds, child: values.child, summaryOnly: values['summary-only'] };
}

async function runChild(name: string, ctx: BenchContext): Promise<void> {
  const mod = await BENCHES[name]!.load();
  const report = await mod.run(ctx);
  writeReport(report);
  ctx.log(`${name}: wrote ${join('tests/bench/results', `${name}.md`)}`);
}

function spawnBench(name: string, quick: boolean, seconds: number | undefined): Promise<{ code: number | null; s: number }> {
  const capS = BENCHES[name]!.capS[quick ? 1 : 0] + (name === 'sustained-load' ? (seconds ?? (quick ? 10 : 60)) : 0);
  const args = ['--import', 'tsx', self, '--child', name, ...(quick ? ['--quick'] : []), ...(seconds ? ['--seconds', String(seconds)] : [])];
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, args, { stdio: 'inherit' });
    const timer = setTimeout(() => {
      console.error(`bench: ${name} ran past its ${capS} s cap; stopping it`);
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5_000).unref();
    }, capS * 1000);
    c.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, s: (performance.now() - t0) / 1000 });
    });
  });
}

function writeSummary(ran: { name: string; code: number | null; s: number }[]): string {
  const lines = ['# edgenn benchmarks: summary', ''];
  const reports: BenchReport[] = [];
  for (const name of Object.keys(BENCHES)) {
    const p = join(RESULTS_DIR, `${name}.json`);
    if (existsSync(p)) reports.push(JSON.parse(readFileSync(p, 'utf8')) as BenchReport);
  }
  const machines = [...new Set(reports.map((r) => machineLine(r.machine)))];
  lines.push(`Machine: ${machines[0] ?? 'unknown'}`, '');
  lines.push('| benchmark | run at | mode | target | measured | |', '| --- | --- | --- | --- | --- | --- |');
  for (const r of reports) for (const t of r.targets) lines.push(`| ${r.name}: ${t.what} | ${r.startedAt.slice(0, 16)}Z | ${r.quick ? 'quick' : 'full'} | ${t.target} | ${t.measured} | ${verdict(t)} |`);
  lines.push('');
  if (ran.length) {
    lines.push('Last invocation:', '', ...ran.map((r) => `- ${r.name}: ${r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`}, ${Math.round(r.s)} s`), '');
  }
  const text = lines.join('\n');
  writeFileSync(join(RESULTS_DIR, 'summary.md'), text);
  return text;
}

async function main(): Promise<number> {
  const opts = options();
  const ctx: BenchContext = { quick: opts.quick, ...(opts.seconds ? { seconds: opts.seconds } : {}), log: (line) => console.error(line) };
  if (opts.child) {
    await runChild(opts.child, ctx);
    return 0;
  }
  if (opts.summaryOnly) {
    console.log(writeSummary([]));
    return 0;
  }
  await build({ quiet: true });
  const names = opts.only.length ? opts.only : Object.keys(BENCHES);
  const ran: { name: string; code: number | null; s: number }[] = [];
  for (const name of names) {
    console.error(`\nbench: ${name}${opts.quick ? ' (quick)' : ''}`);
    // A benchmark that fails leaves no result behind, rather than an older one that looks current.
    for (const ext of ['json', 'md']) rmSync(join(RESULTS_DIR, `${name}.${ext}`), { force: true });
    ran.push({ name, ...(await spawnBench(name, opts.quick, opts.seconds)) });
  }
  console.log(writeSummary(ran));
  return ran.every((r) => r.code === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
