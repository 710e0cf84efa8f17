// Each benchmark's result: tables, targets (reported, never asserted) and notes, written as JSON and
// Markdown to tests/bench/results/<name>.{json,md} with the machine it ran on.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../edge/paths.ts';
import { describeMachine, machineLine, type Machine } from './machine.ts';

export const RESULTS_DIR = join(projectRoot, 'tests/bench/results');

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  note?: string;
}

export interface Target {
  what: string;
  target: string;
  measured: string;
  /** null when it could not be measured in this run (a part not built yet), or when it is only reported. */
  met: boolean | null;
}

export interface BenchReport {
  name: string;
  title: string;
  quick: boolean;
  startedAt: string;
  durationS: number;
  machine: Machine;
  /** What the figures are compared against, measured in the same run. */
  baseline: string;
  tables: Table[];
  targets: Target[];
  notes: string[];
  /** Raw figures for anyone who wants to re-plot. */
  data: Record<string, unknown>;
}

export interface BenchContext {
  quick: boolean;
  /** Sustained-load length override (seconds). */
  seconds?: number;
  log(line: string): void;
}

/** Collects a report while a benchmark runs. */
export function createReport(name: string, title: string, ctx: BenchContext): BenchReport & { started: number } {
  return { name, title, quick: ctx.quick, startedAt: new Date().toISOString(), durationS: 0, machine: describeMachine(), baseline: '', tables: [], targets: [], notes: [], data: {}, started: performance.now() };
}

const verdict = (t: Target): string => (t.met === null ? (t.measured === '–' ? 'not measured' : 'reported') : t.met ? 'met' : '**missed**');

export function toMarkdown(r: BenchReport): string {
  const lines = [`# ${r.title}`, '', `Run ${r.startedAt}${r.quick ? ' (quick mode)' : ''}, ${Math.round(r.durationS)} s. Machine: ${machineLine(r.machine)}.`, ''];
  if (r.baseline) lines.push(`Baseline (same run): ${r.baseline}`, '');
  for (const t of r.tables) {
    lines.push(`## ${t.title}`, '', `| ${t.columns.join(' | ')} |`, `| ${t.columns.map(() => '---').join(' | ')} |`);
    for (const row of t.rows) lines.push(`| ${row.join(' | ')} |`);
    if (t.note) lines.push('', t.note);
    lines.push('');
  }
  if (r.targets.length) {
    lines.push('## Targets (reported, not asserted)', '', '| what | target | measured | |', '| --- | --- | --- | --- |');
    for (const t of r.targets) lines.push(`| ${t.what} | ${t.target} | ${t.measured} | ${verdict(t)} |`);
    lines.push('');
  }
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

export function writeReport(r: BenchReport & { started?: number }): void {
  const { started, ...report } = r;
  if (started !== undefined) report.durationS = (performance.now() - started) / 1000;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${r.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${r.name}.md`), toMarkdown(report));
}

export { verdict };
