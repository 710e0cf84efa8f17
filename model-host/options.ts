// The model-host's own flags, shared by the process (main.ts) and `edgenn model-host` (cli.ts),
// so both accept and check them the same way.
import { availableParallelism } from 'node:os';
import type { BatchingOptions } from './engine/types.ts';

export const HOST_OPTIONS = {
  socket: { type: 'string' },
  preload: { type: 'string', multiple: true },
  'memory-budget': { type: 'string' },
  cache: { type: 'string' },
  'batch-max': { type: 'string' },
  'batch-delay-us': { type: 'string' },
  'queue-max': { type: 'string' },
  'intra-op-threads': { type: 'string' },
} as const;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** `8GiB`, `512MiB`, `2GB`, `1073741824` → bytes. Throws a message fit for a usage error. */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0) throw new Error(`'${text}' is not a size; use e.g. 8GiB, 512MiB or a byte count`);
  return Math.floor(Number(m[1]) * unit);
}

function int(values: Values, name: string, min: number): number | undefined {
  const raw = values[name];
  if (typeof raw !== 'string') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got '${raw}'`);
  return n;
}

/** --batch-max, --batch-delay-us, --queue-max → the batching options given (defaults are the engine's). */
export function batchingFrom(values: Values): Partial<BatchingOptions> {
  const max = int(values, 'batch-max', 1);
  const delay = int(values, 'batch-delay-us', 0);
  const queue = int(values, 'queue-max', 1);
  return { ...(max !== undefined ? { maxBatchSize: max } : {}), ...(delay !== undefined ? { maxQueueDelayUs: delay } : {}), ...(queue !== undefined ? { maxQueue: queue } : {}) };
}

/**
 * ONNX Runtime's intra-op threads per session when --intra-op-threads is not given: half the cores,
 * at least 1. ORT's own default (one per core) oversubscribes a machine the model-host shares with
 * the edge, its CPU workers and the workerd handlers: on 2 cores 1 thread ran OCR detection at p50
 * 40 ms against 69 ms with the default.
 */
export function defaultIntraOpThreads(cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}

/** --intra-op-threads N → N, else defaultIntraOpThreads(). */
export function intraOpThreadsFrom(values: Values, cores?: number): number {
  return int(values, 'intra-op-threads', 1) ?? defaultIntraOpThreads(cores);
}

/** --preload a,b --preload c → ['a', 'b', 'c']. */
export function preloadFrom(values: Values): string[] {
  const raw = values.preload;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.filter((p): p is string => typeof p === 'string').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
}
