// What the docs page shows as "live status": the edge's view of every model it holds, in the CPU
// worker threads and on the model-host (GPU, or its CPU fallback).
import type { ModelStatus } from '../model-host/engine/types.ts';
import type { LiveModelStatus, LiveState } from '../registry/page/live-status.ts';

const STATE: Record<ModelStatus['state'], LiveState> = {
  loading: 'loading',
  warming: 'warming',
  ready: 'ready',
  draining: 'ready',
  unloaded: 'not-loaded',
  failed: 'failed',
};

function one(s: ModelStatus, placement: 'cpu' | 'model-host'): LiveModelStatus {
  return {
    name: s.name,
    version: s.version,
    state: STATE[s.state],
    where: placement === 'cpu' ? 'cpu-worker' : s.provider === 'cuda' ? 'model-host-gpu' : 'model-host-cpu',
    ...(s.error ? { error: s.error.message } : {}),
    ...(s.residentBytes !== undefined ? { memoryBytes: s.residentBytes } : {}),
  };
}

/** Merges both placements; a model-host that does not answer contributes nothing (the page says "unknown"). */
export async function liveStatus(cpu: () => ModelStatus[], modelHost: () => Promise<ModelStatus[]> | undefined): Promise<LiveModelStatus[]> {
  const hosted = await (modelHost() ?? Promise.resolve([])).catch(() => [] as ModelStatus[]);
  return [...cpu().map((s) => one(s, 'cpu')), ...hosted.map((s) => one(s, 'model-host'))];
}
