// The demo's setup steps against a running `edgenn serve`: publish the demo models (idempotent:
// the same version and digest is a no-op at the registry), deploy the demo handlers the way
// `edgenn deploy` does (skipped when the same bundle already serves), wait for readiness.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../edge/paths.ts';
import { bundleHandler } from '../edge/deploy/bundle.ts';
import { validateManifest } from '../edge/deploy/manifest.ts';
import { callEdge } from '../edge/cli/edge-client.ts';
import type { GlobalFlags } from '../edge/cli/args.ts';
import type { DeploymentInfo } from '../edge/deployments.ts';
import type { RegistryClient } from '../registry/client-types.ts';
import { EdgennError } from '../wit/errors.ts';
import type { DemoHandler } from './models/catalog.ts';
import { sha256File, type PreparedModel } from './models/prepare.ts';

export type Say = (line: string) => void;

export async function publishModels(registry: RegistryClient, models: PreparedModel[], say: Say): Promise<void> {
  for (const { model, path } of models) {
    const { name, version } = model.meta;
    // Asking first spares re-uploading (and the registry re-validating) a 176 MB file on every start.
    const digest = `sha256:${await sha256File(path)}`;
    const existing = await registry.resolve(`${name}@${version}`).catch(() => undefined);
    if (existing?.digest === digest) {
      say(`demo: ${name}@${version} already published (${(existing.size / 1e6).toFixed(1)} MB, ${existing.placement})`);
      continue;
    }
    const { manifest, created } = await registry.publish(path, model.meta);
    const mb = (manifest.size / 1e6).toFixed(1);
    say(created ? `demo: published ${name}@${version} (${mb} MB, ${manifest.placement})` : `demo: ${name}@${version} already published (${mb} MB, ${manifest.placement})`);
  }
}

/** What `<data>/demo/deployed.json` remembers: each handler's bundle digest and the version it became. */
type DeployRecord = Record<string, { digest: string; version: number }>;

function readRecord(path: string): DeployRecord {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DeployRecord;
  } catch {
    return {};
  }
}

export async function deployHandlers(edgeUrl: string, flags: GlobalFlags, handlers: DemoHandler[], say: Say): Promise<DeploymentInfo[]> {
  const recordPath = join(flags.data, 'demo', 'deployed.json');
  const record = readRecord(recordPath);
  const out: DeploymentInfo[] = [];
  for (const h of handlers) {
    const manifest = validateManifest({ name: h.name, routes: [{ pattern: h.route }], models: h.models, limits: h.limits, compatibilityFlags: [], vars: {} });
    const { code } = await bundleHandler(h.file, { compatibilityFlags: manifest.compatibilityFlags });
    const digest = createHash('sha256').update(JSON.stringify(manifest)).update(code).digest('hex');
    const current = (await callEdge(edgeUrl, flags, 'GET', '/v1/deployments').catch(() => undefined)) as { deployments?: DeploymentInfo[] } | undefined;
    const live = current?.deployments?.find((d) => d.name === h.name);
    if (live && record[h.name]?.digest === digest && record[h.name]?.version === live.version) {
      say(`demo: handler ${h.name} already deployed (version ${live.version})`);
      out.push(live);
      continue;
    }
    say(`demo: deploying handler ${h.name} on ${h.route} (waits until ${h.models.join(', ')} ${h.models.length > 1 ? 'are' : 'is'} loaded and warm)…`);
    const { deployment } = (await callEdge(edgeUrl, flags, 'POST', '/v1/deployments', { manifest, module: code })) as { deployment: DeploymentInfo };
    say(`demo: deployed ${h.name} version ${deployment.version}`);
    record[h.name] = { digest, version: deployment.version };
    const tmp = `${recordPath}.tmp`;
    writeFileSync(tmp, JSON.stringify(record, null, 2));
    renameSync(tmp, recordPath);
    out.push(deployment);
  }
  return out;
}

/** Polls /healthz/ready until it answers 200, printing why not whenever the reason changes. */
export async function waitReady(url: string, say: Say, opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  let last = '';
  while (!opts.signal?.aborted) {
    let why: string;
    try {
      const res = await fetch(`${url}/healthz/ready`, { signal: AbortSignal.timeout(10_000) });
      if (res.ok) return;
      const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
      why = body?.error?.message ?? `HTTP ${res.status}`;
    } catch (err) {
      why = (err as Error).message;
    }
    if (why !== last) say(`demo: waiting for ready: ${why}`);
    last = why;
    if (Date.now() > deadline) throw new EdgennError('unavailable', `the platform did not become ready in time (${why}); see the log for the failing part`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

/** The lines printed once ready: the docs page and a curl line per handler, runnable from the working directory. */
export function instructions(url: string, handlers: DemoHandler[]): string {
  const lines = [`The demo is ready on ${url}`, '', `  models (docs page):  ${url}/`, ''];
  for (const h of handlers) {
    const sample = relative(process.cwd(), join(projectRoot, h.sample.file)) || h.sample.file;
    lines.push(`  curl --data-binary @${sample}${h.sample.saveAs ? ` -o ${h.sample.saveAs}` : ''} ${url}${h.route}`);
  }
  lines.push('', 'Press Ctrl-C to stop.');
  return lines.join('\n');
}
