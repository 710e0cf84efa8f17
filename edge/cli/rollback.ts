// `edgenn rollback NAME`: the deployment's previous version takes traffic again.
import type { Command } from './args.ts';
import { UsageError } from './args.ts';
import { callEdge, edgeUrl } from './edge-client.ts';
import type { DeploymentInfo } from '../deployments.ts';

export const command: Command = {
  summary: "return a handler to its previous version",
  usage: `Usage: edgenn rollback NAME [--edge URL]`,
  options: { edge: { type: 'string' } },
  async run(args, flags) {
    const [name, extra] = args.positionals;
    if (!name || extra) throw new UsageError('give exactly one deployment name');
    const { deployment } = (await callEdge(edgeUrl(args.values.edge), flags, 'POST', `/v1/deployments/${encodeURIComponent(name)}/rollback`)) as {
      deployment: DeploymentInfo;
    };
    console.log(`rolled back ${deployment.name} to version ${deployment.version}`);
  },
};
