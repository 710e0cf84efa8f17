// Spawns one workerd process: minimal environment, a data-segment rlimit (ArrayBuffers live
// outside the V8 heap cap), death with the edge (PR_SET_PDEATHSIG), and no orphans on exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface WorkerdProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once workerd reports its socket listening; rejects with workerd's own words on exit or timeout. */
  readonly listening: Promise<void>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last few KiB workerd wrote to stderr (its error text). */
  stderrTail(): string;
  kill(): void;
  readonly hasExited: boolean;
}

export interface SpawnOptions {
  workerdPath: string;
  configPath: string;
  cwd: string;
  /** RLIMIT_DATA in bytes; 0 leaves it unset. */
  dataLimitBytes: number;
  /** One line of output at a time (handler console output and workerd's messages). */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last line of defence: whatever exits the edge normally takes its workerd children with it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

let wrappers: { setpriv?: string; prlimit?: string } | undefined;
/** util-linux's setpriv (pdeathsig) and prlimit (RLIMIT_DATA); on systems without them workerd runs bare. */
export function limitTools(): { setpriv?: string; prlimit?: string } {
  if (!wrappers) {
    const setpriv = onPath('setpriv');
    const prlimit = onPath('prlimit');
    wrappers = { ...(setpriv ? { setpriv } : {}), ...(prlimit ? { prlimit } : {}) };
  }
  return wrappers;
}

function lines(stream: NodeJS.ReadableStream | null, each: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding?.('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      each(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
    if (rest.length > 64 * 1024) {
      each(rest);
      rest = '';
    }
  });
  stream.on('end', () => rest && each(rest));
}

export function spawnWorkerd(opts: SpawnOptions): WorkerdProcess {
  installExitHook();
  const tools = limitTools();
  const argv: string[] = [];
  if (tools.setpriv) argv.push(tools.setpriv, '--pdeathsig', 'KILL', '--');
  if (tools.prlimit && opts.dataLimitBytes > 0) argv.push(tools.prlimit, `--data=${opts.dataLimitBytes}`, '--');
  argv.push(opts.workerdPath, 'serve', opts.configPath, '--control-fd', '3');
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    // No host environment at all: nothing of the edge's (tokens included) is in the process to leak.
    env: {},
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: false,
  });
  live.add(child);
  let stderr = '';
  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      stderr += `\ncannot start workerd (${opts.workerdPath}): ${err.message}`;
      exitedFlag = true;
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  lines(child.stdout, (l) => opts.onLine(l, 'stdout'));
  lines(child.stderr, (l) => {
    stderr = (stderr + l + '\n').slice(-8192);
    opts.onLine(l, 'stderr');
  });
  const listening = new Promise<void>((resolve, reject) => {
    lines(child.stdio[3] as NodeJS.ReadableStream, (l) => {
      try {
        if ((JSON.parse(l) as { event?: string }).event === 'listen') resolve();
      } catch {
        // not a control message
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(stderr.trim() || `workerd exited (${signal ?? `code ${code}`}) before listening`)));
  });
  listening.catch(() => {}); // observed by the caller; never an unhandled rejection
  return {
    child,
    pid: child.pid ?? -1,
    listening,
    exited,
    stderrTail: () => stderr,
    kill: () => {
      if (!exitedFlag) child.kill('SIGKILL');
    },
    get hasExited() {
      return exitedFlag;
    },
  };
}
