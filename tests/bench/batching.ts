import type { BenchContext, BenchReport } from './lib/report.ts';
export async function run(_ctx: BenchContext): Promise<BenchReport> {
  throw new Error('not written yet');
}
