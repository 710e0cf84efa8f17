// `edgenn models`: the models in the registry as a table; `models show REF` for one model or
// version; `models alias` and `models delete` for the two other writes.
import { UsageError, type Command } from '../../edge/cli/args.ts';
import { EdgennError } from '../../wit/errors.ts';
import { parseRef, type ModelRecord } from '../manifest.ts';
import { connect } from './connect.ts';
import { formatBytes, formatManifest, formatSignature, table } from './format.ts';

function aliasesOf(record: ModelRecord, version: string): string[] {
  return Object.entries(record.aliases).filter(([, v]) => v === version).map(([a]) => a);
}

export const command: Command = {
  summary: 'list, show, alias and delete models in the registry',
  usage: `Usage: edgenn models [--json]                       every model with its latest version
       edgenn models show REF [--json]              REF = name, name@version or name@alias
       edgenn models alias NAME ALIAS VERSION       point ALIAS at VERSION
       edgenn models delete NAME@VERSION [--force]  --force also removes aliases pointing at it

The registry is --registry URL, else $EDGENN_REGISTRY, else http://127.0.0.1:8787.`,
  options: {
    json: { type: 'boolean' },
    force: { type: 'boolean' },
  },
  async run(args, flags) {
    const [sub, ...rest] = args.positionals;
    const json = args.values.json === true;
    const client = await connect(flags);
    if (!sub) {
      const models = await client.list();
      if (json) return void console.log(JSON.stringify(models, null, 2));
      if (models.length === 0) return void console.log(`no models in ${client.url} yet; publish one with 'edgenn publish model.onnx --name NAME --version 1.0.0'`);
      const rows = models.map((m) => {
        const latest = m.versions.find((v) => v.version === m.aliases.latest);
        const named = Object.entries(m.aliases).filter(([a]) => a !== 'latest').map(([a, v]) => `${a}=${v}`);
        return [m.name, latest?.version ?? '-', String(m.versions.length), named.join(' ') || '-', latest ? formatBytes(latest.size) : '-', latest?.placement ?? '-', latest?.task || '-'];
      });
      console.log(table(['NAME', 'LATEST', 'VERSIONS', 'ALIASES', 'SIZE', 'PLACEMENT', 'TASK'], rows));
      return 0;
    }
    if (sub === 'show') {
      const raw = rest[0];
      const ref = raw ? parseRef(raw) : undefined;
      if (!raw || !ref || rest.length > 1) throw new UsageError('give one model reference: name, name@version or name@alias');
      const record = await client.get(ref.name);
      if (ref.version || ref.alias) {
        const manifest = await client.resolve(raw);
        if (json) return void console.log(JSON.stringify(manifest, null, 2));
        for (const line of formatManifest(manifest, aliasesOf(record, manifest.version))) console.log(line);
        return 0;
      }
      if (json) return void console.log(JSON.stringify(record, null, 2));
      console.log(`model ${record.name}`);
      console.log(`aliases: ${Object.entries(record.aliases).map(([a, v]) => `${a} → ${v}`).join(', ')}`);
      console.log('');
      console.log(table(['VERSION', 'DIGEST', 'SIZE', 'PLACEMENT', 'CREATED', 'ALIASES'], record.versions.map((v) => [v.version, v.digest.slice(0, 19), formatBytes(v.size), v.placement, v.created, aliasesOf(record, v.version).join(', ') || '-'])));
      const latest = record.versions.find((v) => v.version === record.aliases.latest);
      if (latest) {
        console.log('');
        console.log(`latest (${latest.version}) ${latest.description ? `— ${latest.description}` : ''}`.trimEnd());
        for (const line of formatSignature(latest)) console.log(line);
      }
      return 0;
    }
    if (sub === 'alias') {
      const [name, alias, version] = rest;
      if (!name || !alias || !version || rest.length > 3) throw new UsageError('usage: edgenn models alias NAME ALIAS VERSION');
      await client.setAlias(name, alias, version);
      console.log(`${name}@${alias} → ${version}`);
      return 0;
    }
    if (sub === 'delete') {
      const ref = rest[0] ? parseRef(rest[0]) : undefined;
      if (!ref?.version || rest.length > 1) throw new UsageError('give NAME@VERSION (an exact version, not an alias)');
      const { removedAliases } = await client.deleteVersion(ref.name, ref.version, { force: args.values.force === true });
      console.log(`deleted ${ref.name}@${ref.version}${removedAliases.length ? ` (removed aliases: ${removedAliases.join(', ')})` : ''}`);
      return 0;
    }
    throw new EdgennError('invalid-argument', `unknown subcommand '${sub}': use show, alias or delete (or nothing, to list)`);
  },
};
