// `edgenn deploy handler.ts --name N --route … --model …`: checks the manifest, bundles the handler
// locally with esbuild (its errors print before anything is uploaded), uploads both to the edge.
import type { Command } from './args.ts';
import { UsageError, many } from './args.ts';
import { bundleHandler } from '../deploy/bundle.ts';
import { splitRoute, validateManifest } from '../deploy/manifest.ts';
import { callEdge, edgeUrl } from './edge-client.ts';
import type { DeploymentInfo } from '../deployments.ts';

function vars(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--var wants KEY=VALUE, got '${kv}'`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

function int(v: unknown, flag: string): number | undefined {
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${flag} wants a whole number, got '${v}'`);
  return n;
}

export const command: Command = {
  summary: 'bundle a handler and deploy it to the edge',
  usage: `Usage: edgenn deploy HANDLER.(ts|js) --name NAME --route PATTERN [--route …] [--model REF …] [flags]

Bundles the handler with esbuild into one ES module, then uploads it with its manifest. The edge
starts it in workerd, makes every --model ready and warm, and only then routes traffic to it; on
failure the previous version keeps serving.

  --name NAME          deployment name (lowercase letters, digits, '-')
  --route PATTERN      '/path', '/path/*' or 'host/path/*' (repeatable)
  --model REF          a model the handler may call: name, name@1.2.0, name@alias (repeatable)
  --compat-date D      workerd compatibility date YYYY-MM-DD
  --compat-flag F      workerd compatibility flag, e.g. nodejs_compat (repeatable)
  --var KEY=VALUE      a plain variable, env.KEY (repeatable)
  --timeout-ms N       per-request deadline (default 30000)
  --memory-mb N        V8 heap cap of the handler's workerd (default 128)
  --edge URL           the edge (default $EDGENN_EDGE or http://127.0.0.1:8787)`,
  options: {
    name: { type: 'string' },
    route: { type: 'string', multiple: true },
    model: { type: 'string', multiple: true },
    'compat-date': { type: 'string' },
    'compat-flag': { type: 'string', multiple: true },
    var: { type: 'string', multiple: true },
    'timeout-ms': { type: 'string' },
    'memory-mb': { type: 'string' },
    edge: { type: 'string' },
  },
  async run(args, flags) {
    const [file, extra] = args.positionals;
    if (!file || extra) throw new UsageError('give exactly one handler file');
    const v = args.values;
    const limits: Record<string, number> = {};
    const timeout = int(v['timeout-ms'], '--timeout-ms');
    const memory = int(v['memory-mb'], '--memory-mb');
    if (timeout !== undefined) limits.requestTimeoutMs = timeout;
    if (memory !== undefined) limits.memoryMb = memory;
    const manifest = validateManifest({
      name: v.name,
      routes: many(v.route).map(splitRoute),
      models: many(v.model),
      limits,
      ...(typeof v['compat-date'] === 'string' ? { compatibilityDate: v['compat-date'] } : {}),
      compatibilityFlags: many(v['compat-flag']),
      vars: vars(many(v.var)),
    });
    const { code, warnings } = await bundleHandler(file, { compatibilityFlags: manifest.compatibilityFlags });
    for (const w of warnings) process.stderr.write(w);
    const base = edgeUrl(v.edge);
    const { deployment } = (await callEdge(base, flags, 'POST', '/v1/deployments', { manifest, module: code })) as { deployment: DeploymentInfo };
    console.log(`deployed ${deployment.name} version ${deployment.version} (${(code.length / 1024).toFixed(1)} KiB)`);
    for (const m of deployment.models) console.log(`  model ${m.ref} → ${m.version ?? '?'} on ${m.placement ?? '?'}`);
    for (const r of deployment.routes) {
      const path = r.pattern.replace(/\/\*$/, '/');
      console.log(`  ${r.host ? `http://${r.host}${path} (host-bound; via ${base})` : `${base}${path}`}`);
    }
  },
};
