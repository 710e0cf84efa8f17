// The model lifecycle's boundaries, written once and used in both placements: the model-host
// process (backend = ONNX Runtime sessions in process) and the edge's CPU worker threads
// (backend = piscina workers that each hold the sessions).
import type { NamedTensors } from '../../wit/types.ts';
import type { ModelManifest } from '../../registry/manifest.ts';

export type ModelState = 'loading' | 'warming' | 'ready' | 'draining' | 'unloaded' | 'failed';

export interface ModelStatus {
  name: string;
  version: string;
  digest: string;
  state: ModelState;
  /** Execution provider actually used once loaded. */
  provider?: 'cuda' | 'cpu';
  /** Bytes the load and warm-up measurably added to the process that holds the model. */
  residentBytes?: number;
  pinned: boolean;
  loadMs?: number;
  warmupMs?: number;
  error?: { code: string; message: string };
}

/** A model loaded and warmed by a backend, ready to run. */
export interface LoadedModel {
  readonly provider: 'cuda' | 'cpu';
  readonly residentBytes: number;
  readonly loadMs: number;
  readonly warmupMs: number;
  /** How many runs it usefully executes at once (the CPU pool: one per worker). Default 1. */
  readonly concurrency?: number;
  /** Runs one (possibly batched) inference. Inputs are already validated against the signature. */
  run(inputs: NamedTensors, opts?: { outputs?: string[] }): Promise<NamedTensors>;
  close(): Promise<void>;
}

/** Where sessions live. Loading includes warm-up (zeros at the declared shapes, dynamic dims = 1, and at each batch size the batcher forms). */
export interface Backend {
  load(manifest: ModelManifest, blobPath: string, warmupBatchSizes: number[], hooks?: LoadHooks): Promise<LoadedModel>;
  /** Releases what the backend itself holds (worker threads); models are closed before. */
  close?(): Promise<void>;
}

/** Lets the lifecycle report the `loading → warming` transition that happens inside `load`. */
export interface LoadHooks {
  onWarming?(): void;
}

/** Fetches a blob by digest into the local cache (sha256 verified, reused when present) and returns its path. */
export interface BlobSource {
  fetch(manifest: ModelManifest): Promise<string>;
}

export interface BatchingOptions {
  /** Largest batch formed (1 disables batching). */
  maxBatchSize: number;
  /**
   * How long the first request of a batch may wait for company while an execution slot is idle, in
   * microseconds. 0 (the default) never waits: requests batch while every slot is busy and run the
   * moment one frees. A positive delay trades a lone request's latency for fuller batches.
   */
  maxQueueDelayUs: number;
  /** Requests queued per model beyond which new ones get `busy`. */
  maxQueue: number;
}

export interface InferOptions {
  /** Epoch milliseconds after which the caller no longer wants an answer (→ `timeout`). */
  deadline?: number;
  /** Output names to fetch; all when absent. */
  outputs?: string[];
}

/** A model that is ready now. Obtained synchronously: no I/O, no loading. */
export interface ReadyModel {
  readonly manifest: ModelManifest;
  readonly provider: 'cuda' | 'cpu';
  /** Validates inputs against the signature, then queues into the batcher. */
  infer(inputs: NamedTensors, opts?: InferOptions): Promise<NamedTensors>;
}
