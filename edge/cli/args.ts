// Flags shared by every `edgenn` command, and the small interface each command implements.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface GlobalFlags {
  /** --data DIR, else $EDGENN_HOME, else ./.edgenn */
  data: string;
  /** --port N (0 = any free port); undefined when not given */
  port?: number;
  /** --registry URL */
  registry?: string;
  /** --token T, else $EDGENN_TOKEN */
  token?: string;
}

export interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  summary: string;
  /** Usage and description shown by `edgenn <command> --help`. */
  usage: string;
  options: OptionSpec;
  run(args: Parsed, flags: GlobalFlags): Promise<number | void>;
}

export const GLOBAL_OPTIONS: OptionSpec = {
  data: { type: 'string' },
  port: { type: 'string' },
  registry: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export const GLOBAL_HELP = `Flags for every command:
  --data DIR        data directory (default $EDGENN_HOME or ./.edgenn)
  --port N          port to listen on, 0 = any free port
  --registry URL    registry URL
  --token T         API token (default $EDGENN_TOKEN)
  -h, --help        show help`;

export class UsageError extends Error {}

export function parseCommandArgs(argv: string[], options: OptionSpec): { parsed: Parsed; flags: GlobalFlags; help: boolean } {
  let result;
  try {
    result = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = result.values as Parsed['values'];
  let port: number | undefined;
  if (typeof v.port === 'string') {
    port = Number(v.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got '${v.port}'`);
  }
  const flags: GlobalFlags = {
    data: resolve(typeof v.data === 'string' ? v.data : process.env.EDGENN_HOME || './.edgenn'),
    ...(port !== undefined ? { port } : {}),
    ...(typeof v.registry === 'string' ? { registry: v.registry.replace(/\/+$/, '') } : {}),
    ...(typeof v.token === 'string' ? { token: v.token } : process.env.EDGENN_TOKEN ? { token: process.env.EDGENN_TOKEN } : {}),
  };
  return { parsed: { values: v, positionals: result.positionals }, flags, help: v.help === true };
}

/** All values of a repeatable string option. */
export function many(v: Parsed['values'][string]): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}
