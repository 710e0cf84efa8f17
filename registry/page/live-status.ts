// What the platform knows right now about a loaded (or not) model, as the docs page shows it.
// The edge provides these through `createDocsPages({ status })`; the registry alone knows none.

export type LiveState = 'ready' | 'loading' | 'warming' | 'failed' | 'not-loaded';

/** Where a model runs: an edge CPU worker thread, or the model-host on its GPU or its CPU fallback. */
export type Where = 'cpu-worker' | 'model-host-gpu' | 'model-host-cpu';

export const WHERES: readonly Where[] = ['cpu-worker', 'model-host-gpu', 'model-host-cpu'];

export interface LiveModelStatus {
  name: string;
  version: string;
  state: LiveState;
  where: Where;
  /** Why it failed, when state is `failed`. */
  error?: string;
  /** Resident bytes the model holds after warm-up (what the LRU charges), when measured. */
  memoryBytes?: number;
}

export const WHERE_LABEL: Record<Where, string> = {
  'cpu-worker': 'CPU worker',
  'model-host-gpu': 'model-host GPU',
  'model-host-cpu': 'model-host CPU (fallback)',
};

export const STATE_LABEL: Record<LiveState, string> = {
  ready: 'ready',
  loading: 'loading',
  warming: 'warming',
  failed: 'failed',
  'not-loaded': 'not loaded',
};
