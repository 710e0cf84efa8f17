// The model-host's Prometheus metrics, in a prom-client registry of its own (never the global
// one, so several hosts in one test process do not collide).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineEvent } from './engine/manager.ts';

export interface ModelHostMetrics {
  readonly registry: Registry;
  request(model: string, version: string, seconds: number, code?: string): void;
  queueDepth(model: string, version: string, depth: number): void;
  batch(model: string, version: string, requests: number, rows: number): void;
  loaded(model: string, version: string, info: { loadMs?: number; warmupMs?: number; residentBytes?: number; provider?: string }): void;
  unloaded(model: string, version: string, evicted: boolean): void;
  /** Feeds the engine's lifecycle events (pass as the manager's `onEvent`). */
  engineEvent(e: EngineEvent): void;
  text(): Promise<string>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createModelHostMetrics(opts: { defaults?: boolean } = {}): ModelHostMetrics {
  const registry = new Registry();
  if (opts.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: 'edgenn_model_host_' });
  const mv = ['model', 'version'] as const;
  const requests = new Counter({ name: 'edgenn_model_host_requests_total', help: 'Inference requests answered, by model and outcome code (ok on success)', labelNames: [...mv, 'code'], registers: [registry] });
  const failures = new Counter({ name: 'edgenn_model_host_request_failures_total', help: 'Inference requests that failed, by model and error code', labelNames: [...mv, 'code'], registers: [registry] });
  const latency = new Histogram({ name: 'edgenn_model_host_request_duration_seconds', help: 'Inference latency from request to answer (decode, queue, run, encode)', labelNames: mv, buckets: LATENCY_BUCKETS, registers: [registry] });
  const queue = new Gauge({ name: 'edgenn_model_host_queue_depth', help: 'Requests waiting in the batch queue', labelNames: mv, registers: [registry] });
  const batchRequests = new Histogram({ name: 'edgenn_model_host_batch_requests', help: 'Requests per executed batch', labelNames: mv, buckets: [1, 2, 4, 8, 16, 32, 64], registers: [registry] });
  const batchRows = new Histogram({ name: 'edgenn_model_host_batch_rows', help: 'Rows (batch-axis size) per executed batch', labelNames: mv, buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [registry] });
  const loadTime = new Histogram({ name: 'edgenn_model_host_load_seconds', help: 'Time to fetch and open a model', labelNames: mv, buckets: LOAD_BUCKETS, registers: [registry] });
  const warmTime = new Histogram({ name: 'edgenn_model_host_warmup_seconds', help: 'Time to warm a model up', labelNames: mv, buckets: LOAD_BUCKETS, registers: [registry] });
  const resident = new Gauge({ name: 'edgenn_model_host_resident_bytes', help: 'Bytes a loaded model measurably holds after warm-up', labelNames: mv, registers: [registry] });
  const evictions = new Counter({ name: 'edgenn_model_host_evictions_total', help: 'Models evicted by the memory-bounded LRU', labelNames: ['model'], registers: [registry] });
  const provider = new Gauge({ name: 'edgenn_model_host_model_provider', help: 'Execution provider each loaded model runs on (value 1)', labelNames: [...mv, 'provider'], registers: [registry] });

  const m: ModelHostMetrics = {
    registry,
    request(model, version, seconds, code) {
      requests.inc({ model, version, code: code ?? 'ok' });
      if (code) failures.inc({ model, version, code });
      latency.observe({ model, version }, seconds);
    },
    queueDepth(model, version, depth) {
      queue.set({ model, version }, depth);
    },
    batch(model, version, n, rows) {
      batchRequests.observe({ model, version }, n);
      batchRows.observe({ model, version }, rows);
    },
    loaded(model, version, info) {
      if (info.loadMs !== undefined) loadTime.observe({ model, version }, info.loadMs / 1000);
      if (info.warmupMs !== undefined) warmTime.observe({ model, version }, info.warmupMs / 1000);
      if (info.residentBytes !== undefined) resident.set({ model, version }, info.residentBytes);
      if (info.provider) provider.set({ model, version, provider: info.provider }, 1);
    },
    unloaded(model, version, evicted) {
      if (evicted) evictions.inc({ model });
      resident.remove({ model, version });
      queue.remove({ model, version });
      for (const p of ['cpu', 'cuda']) provider.remove({ model, version, provider: p });
    },
    engineEvent(e) {
      if (e.type === 'loaded') m.loaded(e.name, e.version, e);
      else if (e.type === 'evicted') m.unloaded(e.name, e.version, true);
      else if (e.type === 'state' && e.state === 'unloaded') m.unloaded(e.name, e.version, false);
      else if (e.type === 'batch') m.batch(e.name, e.version, e.requests, e.rows);
      else if (e.type === 'queue') m.queueDepth(e.name, e.version, e.depth);
    },
    text: () => registry.metrics(),
  };
  return m;
}
