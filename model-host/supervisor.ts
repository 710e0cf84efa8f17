// Runs the model-host as a sandboxed child: spawns it, waits for /v2/health/ready, restarts it
// with capped exponential backoff when it dies (it preloads again at start), and never leaves
// an orphan. Requests while it is down fail at once with `unavailable`; none hang.
import { spawn, type ChildProcess } from 'node:child_process';
import { distEntry, projectRoot } from '../edge/paths.ts';
import { EdgennError } from '../wit/errors.ts';
import type { BatchingOptions } from './engine/types.ts';
import { createV2Client, type V2Client } from './client.ts';
import { planSandbox } from './sandbox.ts';

export type ModelHostState = 'starting' | 'ready' | 'restarting' | 'stopped';

export interface ModelHostOptions {
  registryUrl: string;
  /** Unix socket to serve on (the default transport)… */
  socketPath?: string;
  /** …or a fixed TCP port on 127.0.0.1 instead. */
  port?: number;
  cacheDir: string;
  /** Refs loaded, warmed and pinned before ready (registry models marked `preload` are added by the child). */
  preload?: string[];
  /** Bytes, or a size such as `8GiB`. */
  memoryBudget?: number | string;
  batching?: Partial<BatchingOptions>;
  /** ONNX Runtime intra-op threads per session (default: the child's, half the cores). */
  intraOpThreads?: number;
  log?: (line: string) => void;
  /** A registry read token, if reads need one. The admin token is never passed. */
  readToken?: string;
  /** When started as root, the user the child runs as (default `nobody`). */
  user?: string;
  /** First restart delay (default 200 ms), doubled per consecutive failure up to `maxBackoffMs` (default 10 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long `ready()` waits before rejecting (default 10 min: large models take a while). */
  readyTimeoutMs?: number;
  /** How often a ready child's /v2/health/live is checked (default 5 s; each check may take as long). */
  livenessIntervalMs?: number;
  /** Consecutive failed checks after which a hung child is killed and restarted (default 3). */
  livenessFailures?: number;
  /** Extra arguments for the child (tests: `--test-probes`). */
  extraArgs?: string[];
  /** The entrypoint to run (default the bundled dist/model-host/main.js). */
  entry?: string;
}

export interface ModelHost {
  /** A v2 client on the socket; fails fast with `unavailable` while the child is down. */
  readonly client: V2Client;
  readonly socketPath: string | undefined;
  readonly state: ModelHostState;
  /** How many times the child was restarted after dying. */
  readonly restarts: number;
  /** The current child's pid (undefined while none runs). */
  readonly pid: number | undefined;
  /** Resolves once the current child answers ready; rejects on stop, a usage error, or readyTimeoutMs. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/** Exit codes of the child for bad arguments and for preloads that cannot succeed: restarting would not help. */
export const EXIT_USAGE = 64;
export const EXIT_CONFIG = 78;

const POLL_MS = 100;
/** A child that stayed up this long resets the backoff. */
const STABLE_MS = 30_000;

/** The child's arguments (main.ts's flags) for these options. */
export function modelHostArgs(opts: ModelHostOptions): string[] {
  const args = ['--registry', opts.registryUrl, ...(opts.socketPath ? ['--socket', opts.socketPath] : ['--port', String(opts.port)]), '--cache', opts.cacheDir, '--parent-watch'];
  if (opts.preload?.length) args.push('--preload', opts.preload.join(','));
  if (opts.memoryBudget !== undefined) args.push('--memory-budget', String(opts.memoryBudget));
  if (opts.batching?.maxBatchSize !== undefined) args.push('--batch-max', String(opts.batching.maxBatchSize));
  if (opts.batching?.maxQueueDelayUs !== undefined) args.push('--batch-delay-us', String(opts.batching.maxQueueDelayUs));
  if (opts.batching?.maxQueue !== undefined) args.push('--queue-max', String(opts.batching.maxQueue));
  if (opts.intraOpThreads !== undefined) args.push('--intra-op-threads', String(opts.intraOpThreads));
  args.push(...(opts.extraArgs ?? []));
  return args;
}

export function startModelHost(opts: ModelHostOptions): ModelHost {
  const log = opts.log ?? ((line: string) => console.error(line));
  const backoff = opts.backoffMs ?? 200;
  const maxBackoff = opts.maxBackoffMs ?? 10_000;
  if (!opts.socketPath === !opts.port) throw new EdgennError('invalid-argument', 'startModelHost needs exactly one of socketPath or port (a fixed, non-zero port)');
  const raw = opts.socketPath ? createV2Client({ socketPath: opts.socketPath }) : createV2Client({ url: `http://127.0.0.1:${opts.port}` });
  let state: ModelHostState = 'starting';
  let child: ChildProcess | undefined;
  let restarts = 0;
  let failures = 0;
  let startedAt = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let fatal: EdgennError | undefined;
  let waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  const args = modelHostArgs(opts);

  const plan = planSandbox({
    entry: opts.entry ?? distEntry('model-host/main.ts'),
    args,
    projectRoot,
    cacheDir: opts.cacheDir,
    ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.readToken ? { readToken: opts.readToken } : {}),
  });
  log(`model-host: sandbox on: ${plan.active.join('; ')}`);
  for (const line of plan.unavailable) log(`model-host: sandbox gap: ${line}`);

  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  function settle(err?: Error): void {
    const list = waiters;
    waiters = [];
    for (const w of list) err ? w.reject(err) : w.resolve();
  }

  function spawnChild(): void {
    state = restarts === 0 ? 'starting' : 'restarting';
    startedAt = Date.now();
    // stdin stays a pipe: the child exits when it closes, so even a SIGKILLed supervisor leaves no orphan.
    const c = spawn(plan.command, plan.argv, { env: plan.env, stdio: ['pipe', 'pipe', 'pipe'], ...(plan.uid !== undefined ? { uid: plan.uid, gid: plan.gid! } : {}) });
    child = c;
    const prefix = `model-host[${c.pid}]: `;
    for (const stream of [c.stdout!, c.stderr!]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          log(prefix + buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
        if (buf.length > 64 * 1024) buf = buf.slice(-64 * 1024); // a line that never ends is not kept whole
      });
    }
    c.stdin!.on('error', () => {}); // EPIPE when the child dies first
    c.on('error', (err) => log(`${prefix}could not start: ${err.message}`));
    c.on('exit', (code, signal) => onExit(c, code, signal));
    void watchReady(c);
  }

  async function watchReady(c: ChildProcess): Promise<void> {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 600_000);
    while (child === c && state !== 'stopped' && Date.now() < deadline) {
      if (c.exitCode === null && (await raw.ready())) {
        if (child !== c || (state as ModelHostState) === 'stopped') return;
        state = 'ready';
        log(`model-host: ready (pid ${c.pid}${restarts ? `, after ${restarts} restart(s)` : ''})`);
        settle();
        void watchLive(c);
        return;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (child === c && state !== 'stopped' && state !== 'ready') {
      settle(new EdgennError('unavailable', `the model-host was not ready within ${opts.readyTimeoutMs ?? 600_000} ms; see its log lines above`));
    }
  }

  /** A child that stops answering (a blocked event loop) is killed; the exit handler restarts it. */
  async function watchLive(c: ChildProcess): Promise<void> {
    const interval = opts.livenessIntervalMs ?? 5_000;
    const limit = opts.livenessFailures ?? 3;
    let misses = 0;
    while (child === c && state === 'ready') {
      await new Promise((r) => setTimeout(r, interval).unref());
      if (child !== c || state !== 'ready') return;
      const ok = await raw.request('GET', '/v2/health/live', undefined, {}, interval).then(
        (res) => res.status === 200,
        () => false,
      );
      misses = ok ? 0 : misses + 1;
      if (misses >= limit && child === c && c.exitCode === null) {
        log(`model-host: pid ${c.pid} did not answer /v2/health/live ${misses} times in a row: killing it to restart`);
        c.kill('SIGKILL');
        return;
      }
    }
  }

  function onExit(c: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== c) return;
    child = undefined;
    if (state === 'stopped') return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (code === EXIT_USAGE || code === EXIT_CONFIG) {
      fatal = new EdgennError('invalid-argument', code === EXIT_USAGE ? `the model-host refused its arguments (${how}); see its log lines above` : `the model-host cannot preload its models (${how}); see its log lines above`);
      log(`model-host: exited with ${how}: not restarting`);
      state = 'stopped';
      settle(fatal);
      return;
    }
    if (Date.now() - startedAt > STABLE_MS) failures = 0;
    const delay = Math.min(maxBackoff, backoff * 2 ** failures);
    failures++;
    state = 'restarting';
    log(`model-host: exited with ${how}; restarting in ${delay} ms`);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if ((state as ModelHostState) === 'stopped') return;
      restarts++;
      spawnChild();
    }, delay);
  }

  function down(): EdgennError {
    return new EdgennError('unavailable', state === 'stopped' ? 'the model-host is stopped' : 'the model-host is restarting; retry shortly', { retryAfter: 1 });
  }

  // Requests while the child is down are refused here, without touching a dead socket.
  const client: V2Client = {
    ...raw,
    infer: (name, version, inputs, o) => (state === 'ready' || state === 'starting' ? raw.infer(name, version, inputs, o) : Promise.reject(down())),
    load: (name, version) => (child ? raw.load(name, version) : Promise.reject(down())),
    ready: async () => state === 'ready' && raw.ready(),
    close: async () => {},
  };

  spawnChild();

  return {
    client,
    socketPath: opts.socketPath,
    get state() {
      return state;
    },
    get restarts() {
      return restarts;
    },
    get pid() {
      return child?.pid;
    },
    ready(): Promise<void> {
      if (state === 'ready') return Promise.resolve();
      if (fatal) return Promise.reject(fatal);
      if (state === 'stopped') return Promise.reject(down());
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    async stop(): Promise<void> {
      if (state === 'stopped' && !child) {
        await raw.close();
        return;
      }
      state = 'stopped';
      if (restartTimer) clearTimeout(restartTimer);
      settle(down());
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      child = undefined;
      process.off('exit', killOnExit);
      await raw.close();
    },
  };
}
