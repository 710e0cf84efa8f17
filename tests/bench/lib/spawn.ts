// Child processes for the benchmarks: start one, wait for the `http://127.0.0.1:PORT` line it prints,
// keep its output for the report when it fails, and stop it (SIGTERM, then SIGKILL) without orphans.
// With EDGENN_BENCH_CPU_PROF=DIR each one is profiled (--cpu-prof) into DIR.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Spawned {
  child: ChildProcess;
  url: string;
  pid: number;
  /** ms from spawn to the listening line. */
  startMs: number;
  output(): string;
  stop(): Promise<void>;
}

export async function spawnListening(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; pattern?: RegExp } = {}): Promise<Spawned> {
  const pattern = opts.pattern ?? /(http:\/\/127\.0\.0\.1:\d+)/;
  const t0 = performance.now();
  // EDGENN_BENCH_CPU_PROF=DIR: every server the benchmarks start writes a V8 CPU profile there on exit.
  const prof = process.env.EDGENN_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.EDGENN_BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, ...args], { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (d: Buffer) => {
    out += d.toString('utf8');
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    process.off('exit', kill);
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within ${opts.timeoutMs ?? 60_000} ms:\n${out.slice(-2000)}`)), opts.timeoutMs ?? 60_000);
    const check = () => {
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with code ${code} before listening:\n${out.slice(-2000)}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { child, url, pid: child.pid!, startMs: performance.now() - t0, output: () => out, stop };
}
