// The docs page's only stylesheet, inlined (no external assets). Colours are chosen for at least
// 4.5:1 contrast in both schemes; tests/browser/docs-page.test.ts measures it.
export const CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #4f5863; --line: #d0d7de; --card: #f6f8fa;
  --link: #0a58b8; --accent: #0a58b8; --code-bg: #f0f3f6; --focus: #b35900;
  --ok-bg: #dafbe1; --ok-fg: #116329; --warn-bg: #fff1c2; --warn-fg: #6b4400;
  --bad-bg: #ffebe9; --bad-fg: #a40e26; --off-bg: #eaeef2; --off-fg: #424a53;
  --chip-bg: #ddf4ff; --chip-fg: #0a3069;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9ea7b3; --line: #30363d; --card: #161b22;
    --link: #6cb6ff; --accent: #6cb6ff; --code-bg: #1c2128; --focus: #ffa657;
    --ok-bg: #0f3d1f; --ok-fg: #7ee2a8; --warn-bg: #3d2e00; --warn-fg: #f2cc60;
    --bad-bg: #4c1017; --bad-fg: #ffb3ae; --off-bg: #262c36; --off-fg: #c9d1d9;
    --chip-bg: #0c2d6b; --chip-fg: #cae8ff;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
a { color: var(--link); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 3px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: .5rem 1rem; }
.skip:focus { left: .5rem; top: .5rem; z-index: 10; }
header.site { border-bottom: 1px solid var(--line); }
header.site .wrap { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; padding-block: .75rem; }
header.site .brand { font-weight: 700; font-size: 1.1rem; text-decoration: none; color: var(--fg); }
header.site .tag { color: var(--muted); font-size: .9rem; }
.wrap { max-width: 72rem; margin: 0 auto; padding-inline: 1rem; }
main.wrap { padding-block: 1rem 3rem; }
h1 { font-size: 1.75rem; line-height: 1.2; margin: .5rem 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
.lede { color: var(--muted); margin: 0 0 1rem; }
code, pre, kbd { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .875rem; }
code { overflow-wrap: anywhere; }
pre { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem;
  overflow-x: auto; margin: 0; line-height: 1.45; }
pre code { overflow-wrap: normal; }
form.filters { display: grid; gap: .75rem; grid-template-columns: 1fr; align-items: end;
  background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem; margin: 1rem 0; }
@media (min-width: 44rem) { form.filters { grid-template-columns: 2fr 1fr 1fr 1fr auto; } }
form.filters label { display: block; font-size: .875rem; font-weight: 600; margin-bottom: .25rem; }
input, select, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--muted);
  border-radius: 6px; padding: .45rem .6rem; min-height: 2.5rem; width: 100%; }
::placeholder { color: var(--muted); opacity: 1; }
button { cursor: pointer; width: auto; background: var(--accent); color: var(--bg); border-color: var(--accent); font-weight: 600; }
button.secondary { background: var(--bg); color: var(--fg); border-color: var(--muted); font-weight: 500; }
.count { color: var(--muted); margin: .25rem 0 .75rem; }
ul.models { list-style: none; padding: 0; margin: 0; display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 21rem), 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; display: flex;
  flex-direction: column; gap: .5rem; min-width: 0; }
.card h2 { margin: 0; font-size: 1.15rem; overflow-wrap: anywhere; }
.card .desc { margin: 0; overflow-wrap: anywhere; display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: 0; font-size: .9rem; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.chips { display: flex; flex-wrap: wrap; gap: .35rem; list-style: none; padding: 0; margin: 0; }
.chip { background: var(--chip-bg); color: var(--chip-fg); border-radius: 999px; padding: .05rem .6rem; font-size: .8rem;
  overflow-wrap: anywhere; }
.badge { display: inline-block; border-radius: 999px; padding: .05rem .6rem; font-size: .8rem; font-weight: 600; }
.state-ready { background: var(--ok-bg); color: var(--ok-fg); }
.state-loading, .state-warming { background: var(--warn-bg); color: var(--warn-fg); }
.state-failed { background: var(--bad-bg); color: var(--bad-fg); }
.state-not-loaded, .state-unknown { background: var(--off-bg); color: var(--off-fg); }
.empty { background: var(--card); border: 1px dashed var(--muted); border-radius: 8px; padding: 1rem 1.25rem; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
.table-wrap + .table-wrap { margin-top: 1rem; }
/* Digests, dates and shapes stay on one line; a narrow screen scrolls the table, not the page. */
.table-wrap td { white-space: nowrap; }
.table-wrap code { overflow-wrap: normal; }
.table-wrap .error-text { white-space: normal; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .45rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
tr:last-child td { border-bottom: 0; }
th { background: var(--card); font-weight: 600; }
caption { text-align: left; font-weight: 600; padding: .5rem .75rem; }
.dyn { font-style: italic; color: var(--chip-fg); background: var(--chip-bg); border-radius: 4px; padding: 0 .25rem; }
.example { margin: 1rem 0; }
.example-head { display: flex; justify-content: space-between; align-items: center; gap: .5rem; margin-bottom: .35rem; }
.example-head h3 { margin: 0; }
.copy { min-height: 2rem; padding: .2rem .75rem; font-size: .85rem; }
.facts { display: grid; gap: .25rem 1.5rem; grid-template-columns: 1fr; margin: 1rem 0; }
@media (min-width: 44rem) { .facts { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
.facts div { min-width: 0; }
.facts dt { color: var(--muted); font-size: .85rem; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.description { white-space: pre-line; overflow-wrap: anywhere; max-width: 48rem; }
.error-text { color: var(--bad-fg); }
footer.site { border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; padding-block: 1rem; }
[hidden] { display: none !important; }
`;
