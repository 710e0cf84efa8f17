// The one module that runs workerd: one process per deployment version, started from a generated
// config, probed before it takes traffic, killed on a deadline overrun and restarted with backoff.
import { Agent } from 'node:http';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { EdgennError } from '../../wit/errors.ts';
import type { DeploymentSpec, InferenceRouter, WorkerInstance, WorkerRuntime, WorkerState } from '../contracts.ts';
import { distEntry, workerdBinary } from '../paths.ts';
import { createHostApi, type HostListener } from '../host-api/server.ts';
import { renderConfig, renderEntry } from './config.ts';
import { errorResponse, forward, probe } from './proxy.ts';
import { limitTools, spawnWorkerd, type WorkerdProcess } from './process.ts';

export interface WorkerdRuntimeOptions {
  /** Directory for sockets and generated configs (made mode 0700). */
  runDir: string;
  router: InferenceRouter;
  log?: (line: string) => void;
  workerdPath?: string;
  /** How long a process may take to listen and answer the start probe (default 10 s). */
  startTimeoutMs?: number;
  /** First restart delay; doubles per consecutive failure up to `maxBackoffMs` (defaults 250 ms, 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /**
   * RLIMIT_DATA per process in MiB (default 1024 + 2 × the manifest's memoryMb). V8 reserves
   * ≈ 540 MiB of it at start on 2 cores, more with more threads; the rest bounds ArrayBuffers.
   */
  dataLimitMb?: (memoryMb: number) => number;
  /** Largest tensor payload a handler may send to the host API (default 256 MiB). */
  maxInferenceBodyBytes?: number;
}

/** A process that stayed up this long has its restart backoff reset. */
const STABLE_MS = 30_000;
const LOG_LINES_PER_SECOND = 200;
/** Unix socket paths are limited to 107 bytes on Linux. */
const MAX_SOCKET_PATH = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export function createWorkerdRuntime(options: WorkerdRuntimeOptions): WorkerRuntime {
  const log = options.log ?? (() => {});
  const workerdPath = options.workerdPath ?? workerdBinary();
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const backoffMs = options.backoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const dataLimitMb = options.dataLimitMb ?? ((m: number) => 1024 + 2 * m);
  const hostApi = createHostApi({ router: options.router, log, ...(options.maxInferenceBodyBytes ? { maxBodyBytes: options.maxInferenceBodyBytes } : {}) });
  const instances = new Set<Instance>();
  let closed = false;

  mkdirSync(options.runDir, { recursive: true, mode: 0o700 });
  chmodSync(options.runDir, 0o700);
  const tools = limitTools();
  if (!tools.setpriv || !tools.prlimit) log('workerd: setpriv/prlimit (util-linux) not found: workerd processes run without parent-death signal or data-size limit');

  class Instance implements WorkerInstance {
    state: WorkerState = 'starting';
    restarts = 0;
    private proc: WorkerdProcess | undefined;
    private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
    private readonly dir: string;
    private readonly socketPath: string;
    private readonly probeToken = randomBytes(16).toString('hex');
    private host: HostListener | undefined;
    private backoff = backoffMs;
    private nextStartAt = 0;
    private readyAt = 0;
    private restartTimer: NodeJS.Timeout | undefined;
    private launching = false;
    /** Requests forwarded and not yet finished (response ended, failed or cut). */
    private inflight = 0;
    private drained: (() => void) | undefined;
    private stopping: Promise<void> | undefined;
    /** Why we killed a process, so its other in-flight requests get the right error. */
    private readonly killReasons = new WeakMap<WorkerdProcess, 'deadline' | 'stop'>();
    private readonly label: string;

    constructor(readonly spec: DeploymentSpec) {
      this.label = `${spec.manifest.name}@${spec.version}`;
      this.dir = join(options.runDir, `w-${randomBytes(4).toString('hex')}`);
      this.socketPath = join(this.dir, 'w.sock');
      if (this.socketPath.length > MAX_SOCKET_PATH) {
        throw new EdgennError('invalid-argument', `the run directory ${options.runDir} is too long for Unix socket paths (${this.socketPath.length} > ${MAX_SOCKET_PATH} bytes); use a shorter --data directory`);
      }
    }

    /** Writes config and modules, opens the host API socket, starts the first process. Rejects with invalid-argument. */
    async boot(): Promise<void> {
      const binding = distEntry('edge/workerd/binding.ts');
      if (!existsSync(binding)) throw new EdgennError('unavailable', `the env.AI binding module ${binding} is missing; run \`node edge/build.mjs\``);
      mkdirSync(this.dir, { mode: 0o700 });
      copyFileSync(this.spec.modulePath, join(this.dir, 'handler.js'));
      writeFileSync(join(this.dir, 'entry.js'), renderEntry(this.probeToken));
      const bindingSource = readFileSync(binding, 'utf8');
      if (/^\s*import\s/m.test(bindingSource)) throw new EdgennError('unknown', `${binding} imports other modules; workerd needs it self-contained (WORKERD_ENTRIES in edge/build.mjs)`);
      writeFileSync(join(this.dir, 'binding.js'), bindingSource);
      const hostKey = randomBytes(24).toString('hex');
      const config = renderConfig({
        manifest: this.spec.manifest,
        serviceName: this.spec.manifest.name,
        listenSocket: this.socketPath,
        hostSocket: join(this.dir, 'h.sock'),
        hostKey,
        files: { handler: 'handler.js', entry: 'entry.js', binding: 'binding.js' },
      });
      writeFileSync(join(this.dir, 'config.capnp'), config, { mode: 0o600 });
      const m = this.spec.manifest;
      this.host = await hostApi.listen(join(this.dir, 'h.sock'), { deployment: m.name, version: this.spec.version, models: [...m.models], requestTimeoutMs: m.limits.requestTimeoutMs ?? 30_000, key: hostKey });
      const failure = await this.launch();
      if (failure) throw new EdgennError('invalid-argument', failure);
      this.becomeReady();
    }

    /** Takes traffic, unless the process died between its probe and now (then restarts it). */
    private becomeReady(): void {
      this.state = 'ready';
      if (this.proc?.hasExited) this.onExit(this.proc);
    }

    /** Starts a process and waits until it answers the probe with a fetch handler; returns the reason it did not. */
    private async launch(): Promise<string | undefined> {
      try {
        rmSync(this.socketPath, { force: true });
      } catch {
        // nothing to remove
      }
      const proc = spawnWorkerd({
        workerdPath,
        configPath: join(this.dir, 'config.capnp'),
        cwd: this.dir,
        dataLimitBytes: dataLimitMb(this.spec.manifest.limits.memoryMb) * 1024 * 1024,
        onLine: (line, stream) => this.logLine(line, stream),
      });
      this.proc = proc;
      void proc.exited.then(() => this.onExit(proc));
      const deadline = Date.now() + startTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), startTimeoutMs)));
      try {
        const listened = await Promise.race([proc.listening.then(() => 'ok' as const, (e: Error) => e), timedOut]);
        if (listened instanceof Error) {
          const hint = /Failed to reserve virtual memory/.test(listened.message) ? ' (the process data-size limit is too low for V8 here: raise dataLimitMb)' : '';
          return `the handler failed to start in workerd: ${listened.message}${hint}`;
        }
        if (listened === 'timeout') {
          proc.kill();
          return this.loadTimeout(proc);
        }
        const answer = await Promise.race([probe(this.socketPath, this.probeToken, Math.max(1, deadline - Date.now())).catch((e: Error) => e), timedOut]);
        if (answer === 'timeout' || answer instanceof Error) {
          proc.kill();
          await Promise.race([proc.exited, sleep(2000)]);
          if (answer === 'timeout' || /timed out/.test(answer.message)) return this.loadTimeout(proc);
          return `the handler failed to load in workerd: ${proc.stderrTail().trim() || answer.message}`;
        }
        if (!answer.hasFetch) {
          proc.kill();
          const what = answer.hasDefault ? 'its default export has no fetch() method' : `it has no default export (exports: ${answer.exports.join(', ') || 'none'})`;
          return `the handler module cannot serve requests: ${what}; write \`export default { fetch(request, env, ctx) { … } }\` or \`export default app\` for a Hono app`;
        }
        this.readyAt = Date.now();
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    }

    /** Handler output, at most LOG_LINES_PER_SECOND lines a second per deployment, so a chatty tenant cannot flood the edge's log. */
    private logWindow = { start: 0, lines: 0, dropped: 0 };
    private logLine(line: string, stream: 'stdout' | 'stderr'): void {
      const now = Date.now();
      const w = this.logWindow;
      if (now - w.start >= 1000) {
        if (w.dropped) log(`workerd ${this.label}: ${w.dropped} log lines dropped (more than ${LOG_LINES_PER_SECOND} a second)`);
        this.logWindow = { start: now, lines: 0, dropped: 0 };
      }
      if (++this.logWindow.lines > LOG_LINES_PER_SECOND) {
        this.logWindow.dropped++;
        return;
      }
      log(`workerd ${this.label} ${stream}: ${line.slice(0, 2000)}`);
    }

    private loadTimeout(proc: WorkerdProcess): string {
      const said = proc.stderrTail().trim();
      return `the handler did not finish loading within ${startTimeoutMs} ms (an infinite loop or long computation at the module's top level?)${said ? `; workerd said: ${said}` : ''}`;
    }

    /** A serving process ended (crash, or our kill): schedule its replacement. Launch failures are handled by launch's caller. */
    private onExit(proc: WorkerdProcess): void {
      if (proc !== this.proc || this.launching || this.restartTimer) return;
      if (this.state === 'stopped' || this.state === 'starting') return;
      const why = this.killReasons.get(proc) === 'deadline' ? 'killed after a request overran its deadline' : `exited (${proc.stderrTail().trim().split('\n').slice(-3).join(' | ').slice(0, 500) || 'no message'})`;
      log(`workerd ${this.label}: process ${proc.pid} ${why}; restarting`);
      if (Date.now() - this.readyAt > STABLE_MS) this.backoff = backoffMs;
      this.scheduleRestart();
    }

    private scheduleRestart(): void {
      this.state = 'restarting';
      this.restarts++;
      const delay = this.backoff;
      this.backoff = Math.min(this.backoff * 2, maxBackoffMs);
      this.nextStartAt = Date.now() + delay;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        void this.restart();
      }, delay);
      this.restartTimer.unref();
    }

    private async restart(): Promise<void> {
      if (this.state !== 'restarting') return;
      this.launching = true;
      const failure = await this.launch().finally(() => (this.launching = false));
      if (this.state !== 'restarting') {
        this.proc?.kill();
        return;
      }
      if (failure) {
        log(`workerd ${this.label}: restart failed: ${failure}`);
        this.proc?.kill();
        this.scheduleRestart();
        return;
      }
      log(`workerd ${this.label}: process ${this.proc?.pid} ready after restart ${this.restarts}`);
      this.becomeReady();
    }

    /** Kills the current process because of a deadline overrun; onExit schedules the restart. */
    private killForDeadline(proc: WorkerdProcess): void {
      if (proc !== this.proc || proc.hasExited) return;
      this.killReasons.set(proc, 'deadline');
      // Take it out of service now, not when the exit is reported: no new request may reach it.
      if (this.state === 'ready') {
        this.state = 'restarting';
        this.nextStartAt = Date.now() + this.backoff;
      }
      proc.kill();
    }

    async fetch(request: Request, requestId: string): Promise<Response> {
      try {
        return await this.proxy(request, requestId);
      } catch (err) {
        // proxy() answers every failure itself; this is the guarantee that fetch never throws.
        return errorResponse(new EdgennError('unknown', `the edge could not forward the request: ${err instanceof Error ? err.message : String(err)}`), requestId);
      }
    }

    private unavailable(requestId: string): Response {
      if (this.state === 'stopped') return errorResponse(new EdgennError('unavailable', `deployment ${this.label} is stopped; retry (a newer version may be serving)`, { retryAfter: 1 }), requestId);
      const wait = Math.max(1, Math.ceil((this.nextStartAt - Date.now()) / 1000) + 1);
      return errorResponse(new EdgennError('unavailable', `deployment ${this.label} is restarting its handler process; retry in ${wait} s`, { retryAfter: wait }), requestId);
    }

    private proxy(request: Request, requestId: string): Promise<Response> {
      const proc = this.proc;
      if (this.state !== 'ready' || !proc || proc.hasExited) return Promise.resolve(this.unavailable(requestId));
      const timeoutMs = this.spec.manifest.limits.requestTimeoutMs ?? 30_000;
      this.inflight++;
      return forward({
        socketPath: this.socketPath,
        agent: this.agent,
        request,
        requestId,
        timeoutMs,
        canRetry: () => !proc.hasExited,
        onHeadersDeadline: () => this.killForDeadline(proc),
        // Headers came in time but the body did not finish: kill the process only if it is stuck
        // (it no longer answers the probe), not because a reader is slow.
        onBodyDeadline: () => void probe(this.socketPath, this.probeToken, 1000).catch(() => this.killForDeadline(proc)),
        failure: (err) => this.failure(proc, err),
        onFinish: () => {
          if (--this.inflight === 0) this.drained?.();
        },
      });
    }

    /** The error a request gets when its connection to the process broke. */
    private async failure(proc: WorkerdProcess, err: Error): Promise<EdgennError> {
      // The socket often breaks a moment before the exit is reported: wait for it, briefly.
      await Promise.race([proc.exited, sleep(1000)]);
      if (this.state === 'stopped') return new EdgennError('unavailable', `deployment ${this.label} was stopped while this request was in flight; retry`, { retryAfter: 1 });
      if (!proc.hasExited) return new EdgennError('runtime-error', `the connection to the handler process failed: ${err.message}`);
      if (this.killReasons.get(proc) === 'deadline') {
        return new EdgennError('unavailable', `the handler process was restarted because another request overran its deadline; retry`, { retryAfter: 1 });
      }
      const said = proc.stderrTail().trim().split('\n').filter((l) => /fatal|error|memory/i.test(l)).slice(-1)[0] ?? '';
      return new EdgennError('runtime-error', `the handler process died while serving this request${said ? ` (${said.slice(0, 300)})` : ''}; it is being restarted`);
    }

    /** Takes no new requests (503), lets those in flight finish (bounded by the request deadline), then kills the process. */
    stop(): Promise<void> {
      this.stopping ??= this.shutdown(true);
      return this.stopping;
    }

    /** `drain` false: kill at once (runtime close, failed start). */
    shutdown(drain: boolean): Promise<void> {
      this.stopping ??= this.doShutdown(drain);
      return this.stopping;
    }

    private async doShutdown(drain: boolean): Promise<void> {
      this.state = 'stopped';
      instances.delete(this);
      clearTimeout(this.restartTimer);
      if (drain && this.inflight > 0) {
        const timeoutMs = this.spec.manifest.limits.requestTimeoutMs ?? 30_000;
        await Promise.race([new Promise<void>((r) => (this.drained = r)), sleep(timeoutMs + 1000)]);
      }
      const proc = this.proc;
      if (proc) {
        this.killReasons.set(proc, 'stop');
        proc.kill();
        await Promise.race([proc.exited, sleep(2000)]);
      }
      this.agent.destroy();
      await this.host?.close();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  return {
    async start(spec) {
      if (closed) throw new EdgennError('unavailable', 'the workerd runtime is closed');
      const instance = new Instance(spec);
      instances.add(instance);
      try {
        await instance.boot();
        return instance;
      } catch (err) {
        await instance.shutdown(false);
        throw err instanceof EdgennError ? err : new EdgennError('invalid-argument', `the handler could not be started: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    },
    async close() {
      closed = true;
      await Promise.all([...instances].map((i) => i.shutdown(false)));
    },
  };
}
