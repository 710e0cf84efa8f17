// Bundles a handler file (TS or JS, may import hono or other npm packages) into ONE ES module for
// workerd, with esbuild. Used by `edgenn deploy` before upload; failures carry esbuild's own text.
import { build, formatMessages, type Message, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { EdgennError } from '../../wit/errors.ts';

export interface BundleOptions {
  /** The manifest's compatibility flags: `nodejs_compat` lets `node:*` imports through to workerd. */
  compatibilityFlags?: string[];
}

export interface BundleResult {
  code: string;
  /** esbuild's warnings, formatted, for the CLI to print. */
  warnings: string[];
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Node built-ins: left for workerd to provide under nodejs_compat, refused otherwise. */
function nodeBuiltins(allowed: boolean): Plugin {
  return {
    name: 'edgenn-node-builtins',
    setup(b) {
      b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        if (!BUILTINS.has(args.path)) return undefined;
        const path = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
        if (allowed) return { path, external: true };
        return {
          errors: [{ text: `"${args.path}" is a Node.js built-in; handlers run in workerd, which provides it only with --compat-flag nodejs_compat` }],
        };
      });
    },
  };
}

async function format(messages: Message[], kind: 'error' | 'warning'): Promise<string[]> {
  return formatMessages(messages, { kind, color: false });
}

/** Throws EdgennError('invalid-argument') whose message is esbuild's own error text. */
export async function bundleHandler(file: string, opts: BundleOptions = {}): Promise<BundleResult> {
  const nodeCompat = (opts.compatibilityFlags ?? []).some((f) => f === 'nodejs_compat' || f === 'nodejs_compat_v2');
  try {
    const result = await build({
      entryPoints: [resolve(file)],
      bundle: true,
      write: false,
      format: 'esm',
      target: 'es2022',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['browser', 'module', 'main'],
      resolveExtensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.jsx', '.json'],
      jsx: 'automatic',
      jsxImportSource: 'hono/jsx',
      minifySyntax: true,
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [nodeBuiltins(nodeCompat)],
    });
    const out = result.outputFiles?.[0];
    if (!out) throw new EdgennError('invalid-argument', `esbuild produced no output for ${file}`);
    return { code: out.text, warnings: await format(result.warnings, 'warning') };
  } catch (err) {
    if (err instanceof EdgennError) throw err;
    const errors = (err as { errors?: Message[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const text = (await format(errors, 'error')).join('').trimEnd();
      throw new EdgennError('invalid-argument', `bundling ${file} failed; fix the handler and deploy again:\n${text}`);
    }
    throw new EdgennError('invalid-argument', `bundling ${file} failed: ${(err as Error).message}`);
  }
}
