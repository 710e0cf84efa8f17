// The docs page's data: store records plus live status turned into what the index and the model
// page show (and answer as JSON), and the one filter both the server and the inline script apply.
import type { ModelManifest, ModelRecord, Placement } from '../manifest.ts';
import { SEMVER_RE } from '../manifest.ts';
import { WHERES, WHERE_LABEL, type LiveModelStatus, type Where } from './live-status.ts';

/** Models of placement `auto` up to this size run in edge CPU workers (the edge's default threshold). */
export const DEFAULT_CPU_THRESHOLD_BYTES = 64 * 1024 * 1024;

export interface PlacementView {
  /** What the manifest asks for. */
  requested: Placement;
  /** Where the platform will put it, from the manifest and size alone. */
  planned: Where;
  /** Where it is: the live provider's answer when known, else `planned`. */
  where: Where;
  label: string;
  /** true when `where` comes from live status. */
  live: boolean;
}

export interface ModelSummary {
  name: string;
  latestVersion: string;
  aliases: Record<string, string>;
  description: string;
  task: string;
  labels: Record<string, string>;
  license: string;
  size: number;
  sizeHuman: string;
  placement: PlacementView;
  /** Live status of the version that is loaded or loading (latest preferred); absent when unknown. */
  status?: LiveModelStatus;
  versionCount: number;
  url: string;
}

export interface Filters {
  q: string;
  task: string;
  label: string;
  placement: string;
}

export interface Facets {
  tasks: string[];
  labels: string[];
  placements: { value: Where; label: string }[];
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return 'unknown';
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  if (u === 0) return `${n} B`;
  return `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} ${UNITS[u]}`;
}

/** Semver order (prerelease before release); non-semver strings sort last, by text. */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER_RE.test(a);
  const pb = SEMVER_RE.test(b);
  if (!pa || !pb) return pa === pb ? a.localeCompare(b) : pa ? -1 : 1;
  const [ca, prea] = splitSemver(a);
  const [cb, preb] = splitSemver(b);
  for (let i = 0; i < 3; i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  if (prea === preb) return 0;
  if (!prea) return 1;
  if (!preb) return -1;
  return prea.localeCompare(preb, 'en', { numeric: true });
}

function splitSemver(v: string): [number[], string] {
  const core = v.split('+')[0]!;
  const dash = core.indexOf('-');
  const nums = (dash < 0 ? core : core.slice(0, dash)).split('.').map(Number);
  return [nums, dash < 0 ? '' : core.slice(dash + 1)];
}

/** Newest first. */
export function sortedVersions(record: ModelRecord): ModelManifest[] {
  return [...record.versions].sort((a, b) => compareVersions(b.version, a.version));
}

/** The `latest` alias when it points at a stored version, else the highest version. */
export function latestManifest(record: ModelRecord): ModelManifest | undefined {
  const tagged = record.aliases.latest;
  return record.versions.find((v) => v.version === tagged) ?? sortedVersions(record)[0];
}

export function plannedWhere(m: Pick<ModelManifest, 'placement' | 'size'>, cpuThresholdBytes: number): Where {
  if (m.placement === 'cpu') return 'cpu-worker';
  if (m.placement === 'auto' && m.size <= cpuThresholdBytes) return 'cpu-worker';
  return 'model-host-gpu';
}

export function placementView(m: ModelManifest, status: LiveModelStatus | undefined, cpuThresholdBytes: number): PlacementView {
  const planned = plannedWhere(m, cpuThresholdBytes);
  const where = status?.where ?? planned;
  return { requested: m.placement, planned, where, label: WHERE_LABEL[where], live: status !== undefined };
}

/** The status that speaks for a model: its latest version's, else any loaded version's. */
export function statusFor(name: string, latest: string, statuses: LiveModelStatus[]): LiveModelStatus | undefined {
  const mine = statuses.filter((s) => s.name === name);
  return mine.find((s) => s.version === latest) ?? mine.find((s) => s.state !== 'not-loaded') ?? mine[0];
}

export function summarize(record: ModelRecord, statuses: LiveModelStatus[], cpuThresholdBytes: number): ModelSummary | undefined {
  const latest = latestManifest(record);
  if (!latest) return undefined;
  const status = statusFor(record.name, latest.version, statuses);
  const summary: ModelSummary = {
    name: record.name,
    latestVersion: latest.version,
    aliases: { ...record.aliases },
    description: latest.description,
    task: latest.task,
    labels: { ...latest.labels },
    license: latest.license,
    size: latest.size,
    sizeHuman: humanSize(latest.size),
    placement: placementView(latest, status, cpuThresholdBytes),
    versionCount: record.versions.length,
    url: `/models/${encodeURIComponent(record.name)}`,
  };
  if (status) summary.status = status;
  return summary;
}

export function readFilters(query: (key: string) => string | undefined): Filters {
  const get = (k: string) => (query(k) ?? '').trim().slice(0, 200);
  return { q: get('q'), task: get('task'), label: get('label'), placement: get('placement') };
}

export function labelPairs(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`));
}

/** Lower-cased text the search box matches against (the inline script gets the same string). */
export function searchText(m: ModelSummary): string {
  return [m.name, m.description, m.task, m.license, ...labelPairs(m.labels), ...Object.keys(m.aliases)].join(' ').toLowerCase();
}

/**
 * Every whitespace-separated term of `q` must occur in the search text; task, label and placement
 * must match exactly. The inline script in client-script.ts implements the same rule.
 */
export function matches(m: ModelSummary, f: Filters): boolean {
  const text = searchText(m);
  const terms = f.q.toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.every((t) => text.includes(t))) return false;
  if (f.task && m.task !== f.task) return false;
  if (f.label && !labelPairs(m.labels).includes(f.label)) return false;
  if (f.placement && m.placement.where !== f.placement) return false;
  return true;
}

export function facetsOf(models: ModelSummary[]): Facets {
  const tasks = [...new Set(models.map((m) => m.task).filter(Boolean))].sort();
  const labels = [...new Set(models.flatMap((m) => labelPairs(m.labels)))].sort();
  return { tasks, labels, placements: WHERES.map((value) => ({ value, label: WHERE_LABEL[value] })) };
}
