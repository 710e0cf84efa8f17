// `edgenn <command>`: one CLI for every part. Each command lives beside the part it drives and
// is loaded only when asked for.
import { GLOBAL_HELP, UsageError, parseCommandArgs, type Command } from './args.ts';
import { EdgennError } from '../../wit/errors.ts';

type Loader = () => Promise<{ command: Command }>;

/** One line per command. */
const COMMANDS: Record<string, Loader> = {
  deploy: () => import('./deploy.ts'),
  handlers: () => import('./handlers.ts'),
  rollback: () => import('./rollback.ts'),
  undeploy: () => import('./undeploy.ts'),
  serve: () => import('./serve.ts'),
  registry: () => import('../../registry/cli/registry.ts'),
  publish: () => import('../../registry/cli/publish.ts'),
  models: () => import('../../registry/cli/models.ts'),
  'model-host': () => import('../../model-host/cli.ts'),
  demo: () => import('../../demo/cli.ts'),
};

async function overview(): Promise<string> {
  const rows = await Promise.all(Object.entries(COMMANDS).map(async ([n, load]) => `  ${n.padEnd(12)} ${(await load()).command.summary}`));
  return `edgenn — publish named ONNX models, deploy Workers-style handlers that call them.

Usage: edgenn <command> [flags]   (edgenn <command> --help for details)

Commands:
${rows.join('\n')}

${GLOBAL_HELP}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await overview());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`edgenn: unknown command '${name}'. Run 'edgenn --help' for the list.`);
    return 2;
  }
  const { command } = await load();
  try {
    const { parsed, flags, help } = parseCommandArgs(rest, command.options);
    if (help) {
      console.log(`${command.usage}\n\n${GLOBAL_HELP}`);
      return 0;
    }
    return (await command.run(parsed, flags)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`edgenn ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    if (err instanceof EdgennError) {
      console.error(`edgenn ${name}: ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
