// `edgenn handlers`: the deployments on an edge, with their state, as a table.
import type { Command } from './args.ts';
import { callEdge, edgeUrl } from './edge-client.ts';
import type { DeploymentInfo } from '../deployments.ts';

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export const command: Command = {
  summary: 'list deployed handlers and their state',
  usage: `Usage: edgenn handlers [--edge URL] [--json]

  --edge URL   the edge (default $EDGENN_EDGE or http://127.0.0.1:8787)
  --json       print the API's JSON`,
  options: { edge: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, flags) {
    const { deployments } = (await callEdge(edgeUrl(args.values.edge), flags, 'GET', '/v1/deployments')) as { deployments: DeploymentInfo[] };
    if (args.values.json) {
      console.log(JSON.stringify(deployments, null, 2));
      return;
    }
    if (deployments.length === 0) {
      console.log('no handlers deployed; deploy one with `edgenn deploy`');
      return;
    }
    const rows = [['NAME', 'VERSION', 'STATE', 'ROUTES', 'MODELS', 'RESTARTS']];
    for (const d of deployments) {
      rows.push([
        d.name,
        String(d.version),
        d.error ? `${d.state}: ${d.error}` : d.state,
        d.routes.map((r) => `${r.host ?? ''}${r.pattern}`).join(','),
        d.models.map((m) => (m.version ? `${m.ref}=${m.version}/${m.placement}` : m.ref)).join(',') || '-',
        String(d.restarts),
      ]);
    }
    console.log(table(rows));
  },
};
