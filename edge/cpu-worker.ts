// One piscina worker thread of the edge's CPU pool (bundled to dist/edge/cpu-worker.js): it holds
// ONNX Runtime sessions in a module-level map across tasks, through the same ORT backend as the model-host.
import Piscina from 'piscina';
import { toEdgennError } from '../wit/errors.ts';
import type { NamedTensors } from '../wit/types.ts';
import type { ModelManifest } from '../registry/manifest.ts';
import { createOrtBackend } from '../model-host/engine/ort-backend.ts';
import type { LoadedModel } from '../model-host/engine/types.ts';
import { movableBuffers } from '../model-host/engine/transfer.ts';

export type WorkerTask =
  | { op: 'load'; id: string; manifest: ModelManifest; path: string; batchSizes: number[] }
  | { op: 'run'; id: string; inputs: NamedTensors; outputs?: string[] }
  | { op: 'unload'; id: string }
  | { op: 'list' };

export interface WorkerLoadResult {
  provider: 'cuda' | 'cpu';
  residentBytes: number;
  loadMs: number;
  warmupMs: number;
}

/** Errors travel as data: a structured clone of an Error would lose its code. */
export interface WorkerError {
  error: { code: string; message: string; notLoaded?: boolean };
}

export interface WorkerData {
  intraOpNumThreads: number;
}

const data = (Piscina.workerData ?? {}) as Partial<WorkerData>;
const backend = createOrtBackend(data.intraOpNumThreads ? { intraOpNumThreads: data.intraOpNumThreads } : {});
const sessions = new Map<string, LoadedModel>();

async function handle(task: WorkerTask): Promise<unknown> {
  switch (task.op) {
    case 'load': {
      const old = sessions.get(task.id);
      if (old) return summary(old);
      const m = await backend.load(task.manifest, task.path, task.batchSizes);
      sessions.set(task.id, m);
      return summary(m);
    }
    case 'run': {
      const m = sessions.get(task.id);
      if (!m) return { error: { code: 'unavailable', message: `model ${task.id} is not loaded in this CPU worker`, notLoaded: true } } satisfies WorkerError;
      const out = await m.run(task.inputs, task.outputs ? { outputs: task.outputs } : undefined);
      // Hand the output buffers over without a copy (piscina's Transferable interface, many buffers).
      const buffers = movableBuffers(out);
      return Piscina.move({ [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: out } as never);
    }
    case 'unload': {
      const m = sessions.get(task.id);
      sessions.delete(task.id);
      await m?.close();
      return null;
    }
    case 'list':
      return [...sessions.keys()];
  }
}

function summary(m: LoadedModel): WorkerLoadResult {
  return { provider: m.provider, residentBytes: m.residentBytes, loadMs: m.loadMs, warmupMs: m.warmupMs };
}

export default async function cpuWorker(task: WorkerTask): Promise<unknown> {
  try {
    return await handle(task);
  } catch (err) {
    const e = toEdgennError(err);
    return { error: { code: e.code, message: e.message } } satisfies WorkerError;
  }
}
