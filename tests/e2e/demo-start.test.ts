// `npm start` as a new user runs it: the real `edgenn demo` process on a fresh data dir and port 0,
// the printed curl lines replayed with fetch, then Ctrl-C (SIGINT to the process group, as a
// terminal sends it) — and no child process left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../edge/paths.ts';
import { decodePng } from '../../demo/handlers/image.ts';

const data = mkdtempSync(join(tmpdir(), 'edgenn-demo-e2e-'));
// Like the ./.edgenn a user's first start makes (mkdtemp makes 0700): the sandboxed model-host
// may run as another user and must reach its cache inside.
chmodSync(data, 0o755);
let child: ChildProcess | undefined;
afterAll(() => {
  if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  rmSync(data, { recursive: true, force: true });
});

/** Processes (pid → command line) whose command line mentions `text`, or whose parent is `ppid`. */
function processes(match: (pid: number, ppid: number, cmdline: string) => boolean): Map<number, string> {
  const out = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const ppid = Number(/^PPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (match(pid, ppid, cmdline)) out.set(pid, cmdline);
    } catch {
      // gone while we looked
    }
  }
  return out;
}

/** Resolves with the stdout seen so far once `re` matches it; rejects when the process exits or time runs out. */
function waitFor(proc: ChildProcess, output: () => string, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(output());
      if (m) done(() => resolve(m));
    };
    const onExit = (code: number | null) => done(() => reject(new Error(`edgenn demo exited (${code}) before printing ${re}:\n${output()}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`no ${re} within ${ms} ms:\n${output()}`))), ms);
    const interval = setInterval(check, 200);
    proc.once('exit', onExit);
    function done(f: () => void) {
      clearTimeout(timer);
      clearInterval(interval);
      proc.off('exit', onExit);
      f();
    }
    check();
  });
}

describe('npm start (edgenn demo)', () => {
  it('serves the printed curl lines on real models, then Ctrl-C leaves no process behind', { timeout: 600_000 }, async () => {
    let out = '';
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.EDGENN_TOKEN;
    delete env.EDGENN_HOME;
    child = spawn(process.execPath, [join(projectRoot, 'edge/cli/edgenn.js'), 'demo', '--data', data, '--port', '0'], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so Ctrl-C can be sent as a terminal sends it: to the whole group.
      detached: true,
    });
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));

    // IS-Net (≈176 MB as fp32) loads and warms on the model-host's CPU: allow minutes, not hours.
    const [, url] = await waitFor(child, () => out, /The demo is ready on (http:\/\/127\.0\.0\.1:\d+)/, 480_000);
    await waitFor(child, () => out, /Press Ctrl-C to stop/, 5_000);
    const ready = await fetch(`${url}/healthz/ready`);
    expect(ready.status).toBe(200);
    const [, docs] = /models \(docs page\):\s+(\S+)/.exec(out) ?? [];
    const page = await fetch(docs!, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const name of ['ocr-det', 'ocr-cls', 'ocr-rec', 'background-removal', 'silero-vad']) expect(html).toContain(name);

    const curls = [...out.matchAll(/^\s*curl --data-binary @(\S+)(?: -o (\S+))? (http:\/\/\S+)$/gm)];
    expect(curls.map((c) => new URL(c[3]!).pathname).sort()).toEqual(['/background', '/ocr', '/vad']);
    for (const [, file, saveAs, target] of curls) {
      const body = readFileSync(join(projectRoot, file!));
      const res = await fetch(target!, { method: 'POST', body });
      expect(res.status, `${target}: ${res.status}`).toBe(200);
      const route = new URL(target!).pathname;
      if (route === '/ocr') {
        const json = (await res.json()) as { lines: { text: string }[] };
        expect(json.lines.map((l) => l.text)).toEqual(['Edge Inference 2026', 'hello from workerd']);
      } else if (route === '/vad') {
        // Two phrases with 0.7 s of silence between them.
        const json = (await res.json()) as { segments: { start: number; end: number }[] };
        expect(json.segments).toHaveLength(2);
        expect(json.segments[1]!.start - json.segments[0]!.end).toBeGreaterThan(0.4);
      } else {
        expect(saveAs).toBeTruthy();
        expect(res.headers.get('content-type')).toBe('image/png');
        const png = decodePng(new Uint8Array(await res.arrayBuffer()));
        const input = decodePng(body);
        expect([png.width, png.height]).toEqual([input.width, input.height]);
        // A cut-out: both see-through backdrop and opaque subject.
        const clear = png.alpha.filter((a) => a < 20).length / png.alpha.length;
        const solid = png.alpha.filter((a) => a > 235).length / png.alpha.length;
        expect(clear).toBeGreaterThan(0.2);
        expect(solid).toBeGreaterThan(0.1);
      }
    }

    const children = processes((_pid, ppid) => ppid === child!.pid);
    // The model-host and one workerd per handler (and esbuild's service, from bundling the handlers).
    expect([...children.values()].some((cmd) => cmd.includes('model-host'))).toBe(true);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
    expect(code, out).toBe(0);
    expect(out).toContain('demo: stopped');

    // Give the kernel a moment to reap, then look for anything that outlived its parent.
    for (let i = 0; i < 20 && processes((pid) => children.has(pid)).size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect([...processes((pid) => children.has(pid)).values()]).toEqual([]);
    expect([...processes((_pid, _ppid, cmd) => cmd.includes(data)).values()]).toEqual([]);
  });
});
