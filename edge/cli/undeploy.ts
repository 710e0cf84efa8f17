// `edgenn undeploy NAME`: stops routing to a handler, drains it and removes all its versions.
import type { Command } from './args.ts';
import { UsageError } from './args.ts';
import { callEdge, edgeUrl } from './edge-client.ts';

export const command: Command = {
  summary: 'remove a deployed handler',
  usage: `Usage: edgenn undeploy NAME [--edge URL]`,
  options: { edge: { type: 'string' } },
  async run(args, flags) {
    const [name, extra] = args.positionals;
    if (!name || extra) throw new UsageError('give exactly one deployment name');
    await callEdge(edgeUrl(args.values.edge), flags, 'DELETE', `/v1/deployments/${encodeURIComponent(name)}`);
    console.log(`undeployed ${name}`);
  },
};
