/** @jsxImportSource hono/jsx */
// The page shell every docs page shares: head, inline stylesheet and script (both static, pinned
// by hash in the Content-Security-Policy so no other script can ever run), header and footer.
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { createHash } from 'node:crypto';
import { CSS } from './styles.ts';
import { SCRIPT } from './client-script.ts';

const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** Only our own inline style and script may run; nothing is loaded from anywhere. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${hash(CSS)}`,
  `script-src ${hash(SCRIPT)}`,
  'img-src data:',
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function Layout(props: { title: string; children?: Child }) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{props.title}</title>
          <link rel="icon" href="data:," />
          {/* Static constants from styles.ts / client-script.ts: no publisher data reaches raw(). */}
          <style>{raw(CSS)}</style>
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="site">
            <div class="wrap">
              <a class="brand" href="/">
                edgenn models
              </a>
              <span class="tag">Models you can call from a handler with env.AI.run</span>
            </div>
          </header>
          <main id="main" class="wrap">
            {props.children}
          </main>
          <footer class="site">
            <div class="wrap">
              Every page here also answers JSON: send <code>Accept: application/json</code>.
            </div>
          </footer>
          <script>{raw(SCRIPT)}</script>
        </body>
      </html>
    </>
  );
}

export function CopyBlock(props: { id: string; title: string; text: string; lang?: string }) {
  return (
    <section class="example" aria-labelledby={`${props.id}-title`}>
      <div class="example-head">
        <h3 id={`${props.id}-title`}>{props.title}</h3>
        {/* Shown by the script; without JavaScript the text is selectable as it is. */}
        <button type="button" class="copy secondary" data-copy={props.id} aria-label={`Copy ${props.title}`} hidden>
          Copy
        </button>
      </div>
      <pre>
        <code id={props.id} class={props.lang ? `language-${props.lang}` : undefined}>
          {props.text}
        </code>
      </pre>
    </section>
  );
}
