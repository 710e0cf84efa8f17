// The edge's Prometheus metrics, in a registry of its own (never prom-client's global one), so
// several edges in one test process do not collide: per deployment and per model.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface EdgeMetrics {
  readonly registry: Registry;
  /** Requests routed to a deployment, by status class. */
  request(deployment: string, version: number, status: number, seconds: number): void;
  /** One inference through the router. */
  inference(model: string, version: string, placement: string, outcome: 'ok' | string): void;
  /** Reports each deployment's worker restarts at scrape time. */
  onCollectRestarts(source: () => Iterable<{ deployment: string; version: number; restarts: number }>): void;
}

export function createEdgeMetrics(): EdgeMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'edgenn_deployment_requests_total',
    help: 'Requests routed to a deployment',
    labelNames: ['deployment', 'version', 'status'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'edgenn_deployment_errors_total',
    help: 'Requests to a deployment answered with a 5xx status',
    labelNames: ['deployment', 'version'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'edgenn_deployment_request_duration_seconds',
    help: 'Time from receiving a request to the response headers from its handler',
    labelNames: ['deployment'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const inferences = new Counter({
    name: 'edgenn_model_inferences_total',
    help: 'Inferences handlers asked for, by model version, placement and outcome (ok or the error code)',
    labelNames: ['model', 'version', 'placement', 'outcome'] as const,
    registers: [registry],
  });
  let restartSource: () => Iterable<{ deployment: string; version: number; restarts: number }> = () => [];
  new Gauge({
    name: 'edgenn_deployment_restarts',
    help: "Restarts of the serving version's workerd process",
    labelNames: ['deployment', 'version'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of restartSource()) this.set({ deployment: r.deployment, version: String(r.version) }, r.restarts);
    },
  });
  return {
    registry,
    request(deployment, version, status, seconds) {
      requests.inc({ deployment, version: String(version), status: `${Math.floor(status / 100)}xx` });
      if (status >= 500) errors.inc({ deployment, version: String(version) });
      latency.observe({ deployment }, seconds);
    },
    inference(model, version, placement, outcome) {
      inferences.inc({ model, version, placement, outcome });
    },
    onCollectRestarts(source) {
      restartSource = source;
    },
  };
}
