// The edge's internal boundaries: the workerd runtime (edge/workerd/), the inference host API
// that handlers call (edge/host-api/), the model placements, and the deploy pipeline.
import type { NamedTensors } from '../wit/types.ts';
import type { InferOptions, ModelStatus } from '../model-host/engine/types.ts';
import type { ModelManifest } from '../registry/manifest.ts';

/** A handler's manifest, as uploaded by `edgenn deploy`. */
export interface DeploymentManifest {
  /** DNS-label-like, like model names. */
  name: string;
  /** Path patterns (`/classify/*`, `/ocr`), optionally bound to a host. */
  routes: { pattern: string; host?: string }[];
  /** The allow-list: `name`, `name@version` or `name@alias`. */
  models: string[];
  limits: {
    /** Per-request deadline enforced by the edge (default 30 000). */
    requestTimeoutMs: number;
    /** V8 heap cap of the deployment's workerd process (default 128). */
    memoryMb: number;
  };
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Plain variables, visible as `env.NAME`. */
  vars: Record<string, string>;
}

/** One version of one deployment, ready to start. */
export interface DeploymentSpec {
  manifest: DeploymentManifest;
  /** 1, 2, 3… per deployment name. */
  version: number;
  /** The bundled ES module (one file) on disk. */
  modulePath: string;
}

export type WorkerState = 'starting' | 'ready' | 'restarting' | 'stopped' | 'failed';

/** One running workerd process serving one deployment version. */
export interface WorkerInstance {
  readonly spec: DeploymentSpec;
  readonly state: WorkerState;
  readonly restarts: number;
  /**
   * Proxies a request to the handler, streaming both ways. Enforces the manifest's deadline: on
   * overrun the process is killed and restarted with backoff and the answer is a 504 `timeout`
   * error; while restarting, answers 503 `unavailable` with Retry-After. Never throws.
   */
  fetch(request: Request, requestId: string): Promise<Response>;
  stop(): Promise<void>;
}

/** Starts workerd processes. The one module that spawns workerd and writes its config implements it. */
export interface WorkerRuntime {
  /**
   * Starts a process for `spec` and resolves once it listens and the module's default export has
   * `fetch`; rejects with EdgennError('invalid-argument') carrying workerd's own error text.
   */
  start(spec: DeploymentSpec): Promise<WorkerInstance>;
  close(): Promise<void>;
}

/**
 * Behind the inference host API: the allow-list is already checked and `ref` is the manifest's
 * reference for that model. Resolves to a ready model in its placement or throws at once
 * (`not-found`, `unavailable` + retryAfter); never loads anything.
 */
export interface InferenceRouter {
  run(ref: string, inputs: NamedTensors, opts: InferOptions & { requestId?: string }): Promise<NamedTensors>;
  /** The signature and placement of a ready model (for `loadByName`), or throws like `run`. */
  describe(ref: string): ModelManifest;
}

/** A KServe v2 inference server (the local model-host, or Triton / KServe). */
export interface InferenceClient {
  infer(name: string, version: string, inputs: NamedTensors, opts?: InferOptions & { requestId?: string }): Promise<NamedTensors>;
  /** Triton repository extension: load a version and wait until it is ready (lifecycle path only). */
  load(name: string, version: string): Promise<void>;
  unload(name: string, version?: string): Promise<void>;
  ready(): Promise<boolean>;
  models(): Promise<ModelStatus[]>;
  close(): Promise<void>;
}
