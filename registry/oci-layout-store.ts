// The embedded ModelStore: a directory in the OCI Image Layout format (oci-layout, index.json,
// blobs/sha256/<hex>), so standard OCI tools (skopeo, oras) can read what edgenn publishes.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.ts';
import { join } from 'node:path';
import { EdgennError } from '../wit/errors.ts';
import { ALIAS_RE, NAME_RE, SEMVER_RE, compareSemver, type ModelManifest, type ModelRecord, type ModelRef, type Signature } from './manifest.ts';
import type { BlobRange, ModelStore, PublishMetadata, PublishResult, RegistryEvent } from './store.ts';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  /** The OCI artifactType of an edgenn model version. */
  artifact: 'application/vnd.edgenn.model.v1',
  /** The config blob: the edgenn ModelManifest as JSON. */
  config: 'application/vnd.edgenn.model.manifest.v1+json',
  /** The one layer: the .onnx file. */
  onnx: 'application/vnd.edgenn.model.onnx.v1',
} as const;

const REF_NAME = 'org.opencontainers.image.ref.name';
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

interface StoredVersion {
  manifest: ModelManifest;
  /** The OCI image manifest's descriptor (what index.json lists). */
  descriptor: Descriptor;
}

interface StoredModel {
  versions: Map<string, StoredVersion>;
  aliases: Map<string, string>;
}

/** A change, before the event log numbers and timestamps it. */
export type StoreChange = Omit<RegistryEvent, 'id' | 'time'>;

export interface OciLayoutStoreOptions {
  /** Called inside the write lock, in commit order, for every change (the event log appends it). */
  onChange?: (change: StoreChange) => Promise<unknown> | void;
}

export interface ReceivedUpload {
  path: string;
  digest: string;
  size: number;
}

export interface StagedPublish extends ReceivedUpload {
  meta: PublishMetadata;
  signature: Signature;
}

export interface DeleteResult {
  manifest: ModelManifest;
  /** Aliases that pointed at the version and were removed (force); `latest` moves instead. */
  removedAliases: string[];
  gc: GcResult;
}

export interface GcResult {
  removed: number;
  bytes: number;
}

/** Checks a model name against NAME_RE, naming the rule when it fails. */
export function checkName(name: string): void {
  if (!NAME_RE.test(name)) {
    const shown = JSON.stringify(name.length > 70 ? `${name.slice(0, 70)}…` : name);
    throw new EdgennError(
      'invalid-argument',
      `model name ${shown} (${name.length} characters) is not allowed: use a lowercase DNS label, 1–63 characters of a–z, 0–9 and '-', starting and ending with a letter or digit`,
    );
  }
}

export function checkVersion(version: string): void {
  if (!SEMVER_RE.test(version) || version.length > 128) {
    const shown = JSON.stringify(version.length > 70 ? `${version.slice(0, 70)}…` : version);
    throw new EdgennError('invalid-argument', `version ${shown} is not a semantic version: use MAJOR.MINOR.PATCH, e.g. 1.0.0 or 2.1.0-rc.1`);
  }
}

export function checkAlias(alias: string): void {
  if (!ALIAS_RE.test(alias)) {
    const shown = JSON.stringify(alias.length > 70 ? `${alias.slice(0, 70)}…` : alias);
    throw new EdgennError('invalid-argument', `alias ${shown} is not allowed: use a lowercase letter then up to 62 of a–z, 0–9 and '-', e.g. 'stable'`);
  }
  if (alias === 'latest') throw new EdgennError('invalid-argument', "alias 'latest' is managed by the registry (it always points at the highest version); pick another alias name");
}

function blobHex(digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new EdgennError('invalid-argument', `digest '${digest.slice(0, 80)}' is not of the form sha256:<64 lowercase hex digits>`);
  return digest.slice('sha256:'.length);
}

export class OciLayoutStore implements ModelStore {
  readonly root: string;
  private readonly onChange: OciLayoutStoreOptions['onChange'];
  private models = new Map<string, StoredModel>();
  /** index.json entries edgenn did not write (e.g. copied in by skopeo): kept as they are. */
  private foreign: Descriptor[] = [];
  private lock: Promise<unknown> = Promise.resolve();
  private ready = false;

  constructor(root: string, options: OciLayoutStoreOptions = {}) {
    this.root = root;
    this.onChange = options.onChange;
  }

  get tmpDir(): string {
    return join(this.root, 'tmp');
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', blobHex(digest));
  }

  async init(): Promise<void> {
    if (this.ready) return;
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    // Whatever is in tmp/ belongs to an upload that a crash or kill interrupted.
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    for (const f of await readdir(this.root)) if (f.startsWith('index.json.tmp-')) await rm(join(this.root, f), { force: true });
    const layoutFile = join(this.root, 'oci-layout');
    try {
      await stat(layoutFile);
    } catch {
      await writeFileAtomic(layoutFile, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    }
    await this.loadIndex();
    this.ready = true;
    // A kill between storing a blob and writing index.json leaves an unreferenced blob.
    await this.gc();
  }

  // ---- reads -------------------------------------------------------------------------------

  async list(): Promise<ModelRecord[]> {
    return [...this.models.keys()].sort().map((name) => this.record(name)!);
  }

  async get(name: string): Promise<ModelRecord | undefined> {
    return this.record(name);
  }

  async resolve(ref: ModelRef): Promise<ModelManifest> {
    const model = this.models.get(ref.name);
    if (!model) throw new EdgennError('not-found', `model '${ref.name}' is not in the registry; list models with 'edgenn models' or publish it with 'edgenn publish'`);
    let version = ref.version;
    if (version === undefined) {
      const alias = ref.alias ?? 'latest';
      version = model.aliases.get(alias);
      if (version === undefined) throw new EdgennError('not-found', `model '${ref.name}' has no alias '${alias}' (aliases: ${[...model.aliases.keys()].join(', ') || 'none'}); set it with PUT /v1/models/${ref.name}/aliases/${alias}`);
    }
    const v = model.versions.get(version);
    if (!v) throw new EdgennError('not-found', `model '${ref.name}' has no version ${version} (versions: ${this.sortedVersions(model).join(', ')})`);
    return v.manifest;
  }

  async openBlob(digest: string, range?: BlobRange): Promise<{ stream: NodeJS.ReadableStream; size: number }> {
    const path = this.blobPath(digest);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new EdgennError('not-found', `blob ${digest} is not in the registry; resolve the model again, it may have been deleted`);
    }
    const stream = createReadStream(path, range ? { start: range.start, end: range.end } : {});
    return { stream, size };
  }

  // ---- writes ------------------------------------------------------------------------------

  /**
   * Streams an upload into tmp/ while hashing it, then fsyncs it. Memory stays flat whatever
   * the size; on any failure (too large, client gone) the temp file is removed.
   */
  async receiveUpload(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, maxBytes: number): Promise<ReceivedUpload> {
    const path = join(this.tmpDir, `upload-${randomUUID()}`);
    const hash = createHash('sha256');
    let size = 0;
    const fh = await open(path, 'wx', 0o644);
    try {
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new EdgennError('too-large', `the upload is larger than the registry's limit of ${maxBytes} bytes; raise --max-upload-bytes or publish a smaller model`);
        hash.update(chunk);
        await fh.write(chunk);
      }
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(path, { force: true });
      throw err;
    }
    await fh.close();
    return { path, digest: `sha256:${hash.digest('hex')}`, size };
  }

  /** Moves a received, validated upload into the store as `name@version` and updates index.json. */
  async publish(staged: StagedPublish): Promise<PublishResult> {
    const { meta } = staged;
    checkName(meta.name);
    checkVersion(meta.version);
    for (const a of meta.aliases ?? []) checkAlias(a);
    try {
      return await this.exclusive(async () => {
        const model = this.models.get(meta.name);
        const existing = model?.versions.get(meta.version);
        if (existing) {
          if (existing.manifest.digest !== staged.digest) {
            throw new EdgennError(
              'already-exists',
              `model '${meta.name}' version ${meta.version} already exists with digest ${existing.manifest.digest}; versions are immutable, publish this file as a new version`,
            );
          }
          const changes: StoreChange[] = [];
          for (const a of meta.aliases ?? []) if (model!.aliases.get(a) !== meta.version) changes.push(this.moveAlias(model!, meta.name, a, meta.version));
          if (changes.length) await this.commit(changes);
          return { manifest: existing.manifest, created: false };
        }
        const layerPath = this.blobPath(staged.digest);
        if (await exists(layerPath)) await rm(staged.path, { force: true });
        else await rename(staged.path, layerPath);
        const manifest: ModelManifest = {
          name: meta.name,
          version: meta.version,
          digest: staged.digest,
          size: staged.size,
          description: meta.description ?? '',
          license: meta.license ?? '',
          labels: meta.labels ?? {},
          task: meta.task ?? '',
          placement: meta.placement ?? 'auto',
          preload: meta.preload ?? false,
          signature: staged.signature,
          created: new Date().toISOString(),
        };
        const descriptor = await this.writeImage(manifest);
        const m = model ?? { versions: new Map(), aliases: new Map() };
        this.models.set(meta.name, m);
        m.versions.set(meta.version, { manifest, descriptor });
        const changes: StoreChange[] = [{ type: 'published', name: meta.name, version: meta.version, digest: manifest.digest }];
        const latest = this.highest(m);
        if (m.aliases.get('latest') !== latest) changes.push(this.moveAlias(m, meta.name, 'latest', latest));
        for (const a of meta.aliases ?? []) if (m.aliases.get(a) !== meta.version) changes.push(this.moveAlias(m, meta.name, a, meta.version));
        await this.commit(changes);
        return { manifest, created: true };
      });
    } finally {
      await rm(staged.path, { force: true });
    }
  }

  /** Points `alias` at an existing version; returns the version it pointed at before. */
  async setAlias(name: string, alias: string, version: string): Promise<{ previous?: string }> {
    checkName(name);
    checkAlias(alias);
    checkVersion(version);
    return this.exclusive(async () => {
      const model = this.models.get(name);
      if (!model?.versions.has(version)) {
        await this.resolve({ name, version }); // throws the precise not-found
      }
      const previous = model!.aliases.get(alias);
      if (previous !== version) await this.commit([this.moveAlias(model!, name, alias, version)]);
      return previous === undefined ? {} : { previous };
    });
  }

  /**
   * Removes a version. Refused (409 conflict) while a named alias points at it unless `force`;
   * `latest` simply moves to the next highest version. Unreferenced blobs are then collected.
   */
  async deleteVersion(name: string, version: string, options: { force?: boolean } = {}): Promise<DeleteResult> {
    checkName(name);
    checkVersion(version);
    return this.exclusive(async () => {
      const manifest = await this.resolve({ name, version });
      const model = this.models.get(name)!;
      const pointing = [...model.aliases].filter(([a, v]) => v === version && a !== 'latest').map(([a]) => a);
      if (pointing.length && !options.force) {
        throw new EdgennError(
          'conflict',
          `version ${version} of '${name}' is the target of alias ${pointing.map((a) => `'${a}'`).join(', ')}; move the alias first (PUT /v1/models/${name}/aliases/<alias>) or delete with ?force=true`,
        );
      }
      for (const a of pointing) model.aliases.delete(a);
      model.versions.delete(version);
      const changes: StoreChange[] = [{ type: 'deleted', name, version, digest: manifest.digest }];
      if (model.versions.size === 0) this.models.delete(name);
      else {
        const latest = this.highest(model);
        if (model.aliases.get('latest') !== latest) changes.push(this.moveAlias(model, name, 'latest', latest));
      }
      await this.commit(changes);
      return { manifest, removedAliases: pointing, gc: await this.collect() };
    });
  }

  /** Removes blobs no index entry references. */
  async gc(): Promise<GcResult> {
    return this.exclusive(() => this.collect());
  }

  // ---- internals ---------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.ready) throw new Error('OciLayoutStore: call init() first');
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  private record(name: string): ModelRecord | undefined {
    const m = this.models.get(name);
    if (!m) return undefined;
    const versions = this.sortedVersions(m).map((v) => m.versions.get(v)!.manifest);
    return { name, versions, aliases: Object.fromEntries([...m.aliases].sort(([a], [b]) => (a < b ? -1 : 1))) };
  }

  private sortedVersions(m: StoredModel): string[] {
    return [...m.versions.keys()].sort(compareSemver);
  }

  private highest(m: StoredModel): string {
    const sorted = this.sortedVersions(m);
    return sorted[sorted.length - 1]!;
  }

  private moveAlias(m: StoredModel, name: string, alias: string, version: string): StoreChange {
    m.aliases.set(alias, version);
    return { type: 'alias-moved', name, alias, version, digest: m.versions.get(version)!.manifest.digest };
  }

  /** Writes index.json, then announces the changes (in commit order, still inside the lock). */
  private async commit(changes: StoreChange[]): Promise<void> {
    await this.saveIndex();
    for (const c of changes) await this.onChange?.(c);
  }

  private async writeImage(manifest: ModelManifest): Promise<Descriptor> {
    const configBytes = Buffer.from(JSON.stringify(manifest, null, 2));
    const config = { mediaType: MEDIA_TYPES.config, ...(await this.writeBlob(configBytes)) };
    const image: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      artifactType: MEDIA_TYPES.artifact,
      config,
      layers: [
        {
          mediaType: MEDIA_TYPES.onnx,
          digest: manifest.digest,
          size: manifest.size,
          annotations: { 'org.opencontainers.image.title': `${manifest.name}-${manifest.version}.onnx` },
        },
      ],
      annotations: {
        'org.opencontainers.image.created': manifest.created,
        'org.opencontainers.image.version': manifest.version,
        ...(manifest.description ? { 'org.opencontainers.image.description': manifest.description } : {}),
        ...(manifest.license ? { 'org.opencontainers.image.licenses': manifest.license } : {}),
      },
    };
    const written = await this.writeBlob(Buffer.from(JSON.stringify(image, null, 2)));
    return { mediaType: MEDIA_TYPES.manifest, artifactType: MEDIA_TYPES.artifact, ...written };
  }

  private async writeBlob(bytes: Buffer): Promise<{ digest: string; size: number }> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const path = this.blobPath(digest);
    if (!(await exists(path))) await writeFileAtomic(path, bytes, { tmpDir: this.tmpDir });
    return { digest, size: bytes.length };
  }

  private indexEntries(): Descriptor[] {
    const entries: Descriptor[] = [];
    for (const name of [...this.models.keys()].sort()) {
      const m = this.models.get(name)!;
      for (const v of this.sortedVersions(m)) {
        const d = m.versions.get(v)!.descriptor;
        entries.push({ ...d, annotations: { [REF_NAME]: `${name}:${v}` } });
      }
      for (const [alias, v] of [...m.aliases].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const d = m.versions.get(v)!.descriptor;
        entries.push({ ...d, annotations: { [REF_NAME]: `${name}:${alias}` } });
      }
    }
    return [...entries, ...this.foreign];
  }

  private async saveIndex(): Promise<void> {
    const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: this.indexEntries() };
    await writeFileAtomic(join(this.root, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }

  private async loadIndex(): Promise<void> {
    let index: { manifests?: Descriptor[] };
    try {
      index = JSON.parse(await readFile(join(this.root, 'index.json'), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`OciLayoutStore: ${join(this.root, 'index.json')} is unreadable: ${(err as Error).message}`);
      this.models = new Map();
      await this.saveIndex();
      return;
    }
    const models = new Map<string, StoredModel>();
    const aliasEntries: Array<[string, string, string]> = [];
    for (const d of index.manifests ?? []) {
      const ref = d.annotations?.[REF_NAME];
      const colon = ref ? ref.lastIndexOf(':') : -1;
      const name = ref && colon > 0 ? ref.slice(0, colon) : '';
      const tag = ref && colon > 0 ? ref.slice(colon + 1) : '';
      if (d.artifactType !== MEDIA_TYPES.artifact || !NAME_RE.test(name)) {
        this.foreign.push(d);
        continue;
      }
      if (!SEMVER_RE.test(tag)) {
        aliasEntries.push([name, tag, d.digest]);
        continue;
      }
      let manifest: ModelManifest;
      try {
        const image = JSON.parse(await readFile(this.blobPath(d.digest), 'utf8')) as ImageManifest;
        manifest = JSON.parse(await readFile(this.blobPath(image.config.digest), 'utf8')) as ModelManifest;
      } catch (err) {
        throw new Error(`OciLayoutStore: index.json lists ${ref} but its manifest or config blob in ${this.root}/blobs is missing or unreadable (${(err as Error).message}); restore the blob or remove the entry from index.json`);
      }
      const m = models.get(name) ?? { versions: new Map(), aliases: new Map() };
      models.set(name, m);
      m.versions.set(tag, { manifest, descriptor: { mediaType: d.mediaType, digest: d.digest, size: d.size, artifactType: MEDIA_TYPES.artifact } });
    }
    for (const [name, alias, digest] of aliasEntries) {
      const m = models.get(name);
      const target = m && [...m.versions].find(([, v]) => v.descriptor.digest === digest)?.[0];
      if (m && target) m.aliases.set(alias, target);
    }
    this.models = models;
  }

  private async collect(): Promise<GcResult> {
    const referenced = new Set<string>();
    for (const d of this.indexEntries()) {
      referenced.add(d.digest);
      try {
        const image = JSON.parse(await readFile(this.blobPath(d.digest), 'utf8')) as Partial<ImageManifest>;
        if (image.config?.digest) referenced.add(image.config.digest);
        for (const l of image.layers ?? []) referenced.add(l.digest);
      } catch {
        // A foreign entry whose manifest is absent or not JSON: nothing more to keep.
      }
    }
    const dir = join(this.root, 'blobs', 'sha256');
    let removed = 0;
    let bytes = 0;
    for (const hex of await readdir(dir)) {
      if (referenced.has(`sha256:${hex}`)) continue;
      const path = join(dir, hex);
      bytes += (await stat(path)).size;
      await rm(path, { force: true });
      removed++;
    }
    return { removed, bytes };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
