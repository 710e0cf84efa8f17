// Plain-text rendering for the registry commands: sizes, tensor specs and aligned tables.
import type { ModelManifest, TensorSpec } from '../manifest.ts';

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatTensor(t: TensorSpec): string {
  return `${t.name}: ${t.type}[${t.shape.map((d) => (typeof d === 'string' ? d || '?' : String(d))).join(', ')}]`;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The signature block shared by `publish` and `models show`. */
export function formatSignature(m: ModelManifest): string[] {
  const s = m.signature;
  const facts = [s.opset !== undefined ? `opset ${s.opset}` : '', s.irVersion !== undefined ? `IR ${s.irVersion}` : '', s.producer ? `producer ${s.producer}` : ''].filter(Boolean);
  return [
    'signature:',
    ...s.inputs.map((t, i) => `  ${i === 0 ? 'inputs ' : '       '}  ${formatTensor(t)}`),
    ...s.outputs.map((t, i) => `  ${i === 0 ? 'outputs' : '       '}  ${formatTensor(t)}`),
    ...(facts.length ? [`  ${facts.join(' · ')}`] : []),
  ];
}

/** One version's facts as `key  value` lines. */
export function formatManifest(m: ModelManifest, aliases: string[]): string[] {
  const labels = Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  const rows: Array<[string, string]> = [
    ['model', `${m.name}@${m.version}`],
    ['digest', m.digest],
    ['size', `${formatBytes(m.size)} (${m.size} bytes)`],
    ['aliases', aliases.join(', ') || '-'],
    ['placement', `${m.placement}${m.preload ? ', preload' : ''}`],
    ['task', m.task || '-'],
    ['license', m.license || '-'],
    ['labels', labels || '-'],
    ['created', m.created],
    ['description', m.description || '-'],
  ];
  return [...rows.map(([k, v]) => `${k.padEnd(12)}${v}`), ...formatSignature(m)];
}
