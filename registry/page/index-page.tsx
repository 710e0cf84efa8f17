/** @jsxImportSource hono/jsx */
// The index: every model as a card, a search box and filters that work as a plain GET form
// (cards that do not match are rendered `hidden`), and the script filters them live when it runs.
import { labelPairs, matches, searchText, type Facets, type Filters, type ModelSummary } from './catalog.ts';
import { STATE_LABEL, type LiveModelStatus } from './live-status.ts';
import { CopyBlock, Layout } from './layout.tsx';

export function countText(shown: number, total: number): string {
  const noun = total === 1 ? 'model' : 'models';
  return shown === total ? `${total} ${noun}` : `${shown} of ${total} ${noun}`;
}

export function StatusBadge(props: { status?: LiveModelStatus | undefined }) {
  const s = props.status;
  if (!s) return <span class="badge state-unknown">status unknown</span>;
  return (
    <span class={`badge state-${s.state}`} title={s.error}>
      {STATE_LABEL[s.state]}
    </span>
  );
}

function Select(props: { name: keyof Filters; label: string; value: string; options: { value: string; label: string }[] }) {
  return (
    <div>
      <label for={`f-${props.name}`}>{props.label}</label>
      <select id={`f-${props.name}`} name={props.name}>
        <option value="">Any</option>
        {props.options.map((o) => (
          <option value={o.value} selected={o.value === props.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function Card(props: { m: ModelSummary; visible: boolean }) {
  const { m } = props;
  const aliases = Object.keys(m.aliases).filter((a) => a !== 'latest');
  const labels = labelPairs(m.labels);
  return (
    <li
      class="card"
      data-model={m.name}
      data-search={searchText(m)}
      data-task={m.task}
      data-labels={JSON.stringify(labels)}
      data-placement={m.placement.where}
      hidden={!props.visible}
    >
      <h2>
        <a href={m.url}>{m.name}</a>
      </h2>
      <p class="desc">{m.description || 'No description.'}</p>
      <dl class="meta">
        <dt>Version</dt>
        <dd>
          <code>{m.latestVersion}</code>
          {m.versionCount > 1 ? ` (${m.versionCount} versions)` : ''}
        </dd>
        {aliases.length > 0 && (
          <>
            <dt>Aliases</dt>
            <dd>{aliases.map((a) => `${a} → ${m.aliases[a]}`).join(', ')}</dd>
          </>
        )}
        <dt>Task</dt>
        <dd>{m.task || '—'}</dd>
        <dt>Size</dt>
        <dd>{m.sizeHuman}</dd>
        <dt>Runs on</dt>
        <dd data-field="placement">{m.placement.label}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={m.status} />
          {m.status && m.status.version !== m.latestVersion ? ` (${m.status.version})` : ''}
        </dd>
      </dl>
      {labels.length > 0 && (
        <ul class="chips" aria-label={`Labels of ${m.name}`}>
          {labels.map((l) => (
            <li class="chip">{l}</li>
          ))}
        </ul>
      )}
    </li>
  );
}

function EmptyRegistry(props: { baseUrl: string }) {
  const publish = `edgenn publish model.onnx --name my-model --version 1.0.0 \\
  --description "What it does" --label task=example --registry ${props.baseUrl}`;
  return (
    <section class="empty" aria-labelledby="empty-title">
      <h2 id="empty-title">No models published yet</h2>
      <p>
        Publish your first ONNX model and it appears here with its signature and a ready-to-paste handler. The
        registry reads the input and output signature from the model itself; publishing needs the registry token
        (<code>--token</code> or <code>EDGENN_TOKEN</code>, stored in <code>&lt;data&gt;/token</code>).
      </p>
      <CopyBlock id="publish-first" title="Publish a model" text={publish} lang="sh" />
    </section>
  );
}

export function IndexPage(props: { models: ModelSummary[]; filters: Filters; facets: Facets; baseUrl: string }) {
  const { models, filters, facets } = props;
  const visible = models.map((m) => matches(m, filters));
  const shown = visible.filter(Boolean).length;
  return (
    <Layout title="Models · edgenn">
      <h1>Available models</h1>
      <p class="lede">
        Call any of these from a deployed handler with <code>await env.AI.run("name", inputs)</code>. Models are loaded
        and warmed before traffic; a request never waits on a load.
      </p>
      {models.length === 0 ? (
        <EmptyRegistry baseUrl={props.baseUrl} />
      ) : (
        <>
          <form id="filters" class="filters" method="get" action="/" role="search" aria-label="Filter models">
            <div>
              <label for="f-q">Search</label>
              <input id="f-q" type="search" name="q" value={filters.q} placeholder="name, task, label…" autocomplete="off" />
            </div>
            <Select name="task" label="Task" value={filters.task} options={facets.tasks.map((t) => ({ value: t, label: t }))} />
            <Select name="label" label="Label" value={filters.label} options={facets.labels.map((l) => ({ value: l, label: l }))} />
            <Select name="placement" label="Runs on" value={filters.placement} options={facets.placements} />
            <div>
              <button type="submit">Apply</button>
            </div>
          </form>
          <p id="count" class="count" aria-live="polite">
            {countText(shown, models.length)}
          </p>
          <p id="no-match" class="empty" hidden={shown !== 0}>
            No model matches these filters. <a id="clear-filters" href="/">Clear the filters</a> to see all{' '}
            {models.length}.
          </p>
          <ul class="models" id="models">
            {models.map((m, i) => (
              <Card m={m} visible={visible[i]!} />
            ))}
          </ul>
        </>
      )}
    </Layout>
  );
}
