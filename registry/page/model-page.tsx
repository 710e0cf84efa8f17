/** @jsxImportSource hono/jsx */
// One model: what it is, how to call it (handler, curl, deploy line, written from its real
// signature), its signature table, every version with digest, size and date, and live status.
import type { Child } from 'hono/jsx';
import type { Dim, ModelManifest, ModelRecord, TensorSpec } from '../manifest.ts';
import { humanSize, labelPairs, type ModelSummary } from './catalog.ts';
import { STATE_LABEL, WHERE_LABEL, type LiveModelStatus } from './live-status.ts';
import type { Examples } from './snippet.ts';
import { CopyBlock, Layout } from './layout.tsx';
import { StatusBadge } from './index-page.tsx';

export interface ModelPageProps {
  record: ModelRecord;
  summary: ModelSummary;
  /** The version this page shows (latest unless `?version=` asked for another). */
  shown: ModelManifest;
  versions: ModelManifest[];
  statuses: LiveModelStatus[];
  examples: Examples;
}

function Shape(props: { shape: Dim[] }) {
  if (props.shape.length === 0) return <span>scalar</span>;
  return (
    <code>
      [
      {props.shape.map((d, i) => (
        <>
          {i > 0 ? ', ' : ''}
          {typeof d === 'number' && d >= 0 ? String(d) : <span class="dyn" title="dynamic dimension">{d === '' ? '?' : String(d)}</span>}
        </>
      ))}
      ]
    </code>
  );
}

/** A scrollable table with column headers: the signature, versions and live status all use it. */
function Table(props: { id: string; columns: string[]; caption?: string; children?: Child }) {
  return (
    <div class="table-wrap">
      <table id={props.id}>
        {props.caption && <caption>{props.caption}</caption>}
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col">{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

function SignatureTable(props: { specs: TensorSpec[]; kind: 'Inputs' | 'Outputs'; id: string }) {
  return (
    <Table id={props.id} caption={props.kind} columns={['Name', 'Element type', 'Shape']}>
      {props.specs.length === 0 ? (
        <tr>
          <td colspan={3}>none declared</td>
        </tr>
      ) : (
        props.specs.map((s) => (
          <tr>
            <td>
              <code>{s.name}</code>
            </td>
            <td>
              <code>{s.type}</code>
            </td>
            <td>
              <Shape shape={s.shape} />
            </td>
          </tr>
        ))
      )}
    </Table>
  );
}

const date = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

export function ModelPage(props: ModelPageProps) {
  const { record, summary, shown, versions, statuses, examples } = props;
  const aliasesOf = (v: string) => Object.entries(record.aliases).filter(([, to]) => to === v).map(([a]) => a);
  const labels = labelPairs(shown.labels);
  const sig = shown.signature;
  return (
    <Layout title={`${record.name} · edgenn models`}>
      <p>
        <a href="/">← All models</a>
      </p>
      <h1>{record.name}</h1>
      <p class="lede">
        Version <code>{shown.version}</code>
        {shown.version !== summary.latestVersion ? ` (latest is ${summary.latestVersion})` : ' (latest)'}
        {shown.task ? ` · ${shown.task}` : ''}
      </p>
      {labels.length > 0 && (
        <ul class="chips" aria-label="Labels">
          {labels.map((l) => (
            <li class="chip">{l}</li>
          ))}
        </ul>
      )}
      <dl class="facts">
        <div>
          <dt>License</dt>
          <dd>{shown.license || 'not stated'}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{humanSize(shown.size)}</dd>
        </div>
        <div>
          <dt>Runs on</dt>
          <dd data-field="placement">
            {summary.placement.label}
            {summary.placement.live ? '' : ` (placement: ${summary.placement.requested})`}
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={summary.status} />
          </dd>
        </div>
        <div>
          <dt>Aliases</dt>
          <dd>
            {Object.entries(record.aliases)
              .map(([a, v]) => `${a} → ${v}`)
              .join(', ') || 'none'}
          </dd>
        </div>
        <div>
          <dt>Model file</dt>
          <dd>
            {[sig.opset !== undefined ? `opset ${sig.opset}` : '', sig.irVersion !== undefined ? `IR ${sig.irVersion}` : '', sig.producer ?? '']
              .filter(Boolean)
              .join(' · ') || 'ONNX'}
          </dd>
        </div>
      </dl>
      <h2>Description</h2>
      <p class="description">{shown.description || 'The publisher wrote no description.'}</p>

      <h2 id="signature">Signature</h2>
      <p>Read from the model file at publish time. Dynamic dimensions are shown by name.</p>
      <SignatureTable specs={sig.inputs} kind="Inputs" id="inputs" />
      <SignatureTable specs={sig.outputs} kind="Outputs" id="outputs" />

      <h2 id="use">Call it from a handler</h2>
      <p>
        Write the handler, deploy it with this model on its allow-list, then call its route. Dynamic dimensions are 1
        in the example; send your own data as one flat array per input.
      </p>
      <CopyBlock id="snippet-handler" title="handler.ts" text={examples.handler} lang="ts" />
      <CopyBlock id="snippet-deploy" title="Deploy" text={examples.deploy} lang="sh" />
      <CopyBlock id="snippet-curl" title="Call it" text={examples.curl} lang="sh" />

      <h2 id="versions">Versions</h2>
      <Table id="version-table" columns={['Version', 'Aliases', 'Digest', 'Size', 'Published']}>
        {versions.map((v) => (
          <tr aria-current={v.version === shown.version ? 'true' : undefined}>
            <td>
              <a href={`/models/${encodeURIComponent(record.name)}?version=${encodeURIComponent(v.version)}`}>{v.version}</a>
            </td>
            <td>{aliasesOf(v.version).join(', ') || '—'}</td>
            <td>
              <code>{v.digest}</code>
            </td>
            <td>{humanSize(v.size)}</td>
            <td>
              <time datetime={v.created}>{date(v.created)}</time>
            </td>
          </tr>
        ))}
      </Table>

      {statuses.length > 0 && (
        <>
          <h2 id="live">Live status</h2>
          <Table id="live-table" columns={['Version', 'State', 'Where', 'Memory']}>
            {statuses.map((s) => (
              <tr>
                <td>{s.version}</td>
                <td>
                  <span class={`badge state-${s.state}`}>{STATE_LABEL[s.state]}</span>
                  {s.error ? <span class="error-text"> {s.error}</span> : ''}
                </td>
                <td>{WHERE_LABEL[s.where]}</td>
                <td>{s.memoryBytes !== undefined ? humanSize(s.memoryBytes) : '—'}</td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </Layout>
  );
}
