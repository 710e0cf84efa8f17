// The docs page in Debian's Chromium against a real registry on 127.0.0.1: publish two generated
// models over HTTP, browse, search and filter with JavaScript on and off, open a model page,
// check the signature table, the snippet, copy buttons, accessibility basics and phone layout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../edge/paths.ts';
import { createRegistry, type Registry } from '../../registry/registry.ts';
import { startRegistryServer, type RunningServer } from '../../registry/server.ts';
import { createRegistryClient } from '../../registry/client.ts';
import type { LiveModelStatus } from '../../registry/page/live-status.ts';
import { addModel, scaleModel } from '../fixtures/onnx-models.ts';

// Callbacks passed to page.evaluate run inside Chromium; the project compiles without DOM types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, window: any, navigator: any, getComputedStyle: (el: unknown) => any;

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const ARTIFACTS = join(projectRoot, 'tests/browser/artifacts');
const TOKEN = 'browser-test-token';

let dir: string;
let registry: Registry;
let server: RunningServer;
const contexts: BrowserContext[] = [];

/** A fresh headless Chromium with its own profile. Missing Chromium is a failure, never a skip. */
async function browserContext(options: { javaScriptEnabled?: boolean; colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with 'apt-get update && apt-get install -y chromium' (CI installs it in .ci/run)`);
  }
  const profile = join(dir, `profile-${contexts.length}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    timeout: 60_000,
  });
  contexts.push(context);
  return context;
}

let shared: BrowserContext | undefined;
/** The JavaScript-on desktop context most tests share (created by whichever test runs first). */
async function mainContext(): Promise<BrowserContext> {
  return (shared ??= await browserContext());
}

async function page(context: BrowserContext): Promise<Page> {
  const p = context.pages()[0] ?? (await context.newPage());
  p.setDefaultTimeout(15_000);
  return p;
}

const visibleCards = (p: Page) => p.locator('li.card:visible').evaluateAll((els) => els.map((e) => e.getAttribute('data-model')));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgenn-browser-'));
  await mkdir(ARTIFACTS, { recursive: true });
  // The edge will supply live status; here one model is ready in a CPU worker, the other unknown.
  const status = async (): Promise<LiveModelStatus[]> => [{ name: 'tabular-scorer', version: '1.1.0', state: 'ready', where: 'cpu-worker' }];
  registry = await createRegistry({ dataDir: join(dir, 'data'), token: TOKEN, pages: { status } });
  server = await startRegistryServer(registry.app, 0);

  const client = createRegistryClient({ url: server.url, token: TOKEN });
  const files = join(dir, 'models');
  await mkdir(files);
  await writeFile(join(files, 'scorer-1.onnx'), addModel({ width: 8, bias: 0 }));
  await writeFile(join(files, 'scorer-2.onnx'), addModel({ width: 8, bias: 1 }));
  await writeFile(join(files, 'gain.onnx'), scaleModel(3));
  const scorer = { name: 'tabular-scorer', task: 'tabular-regression', license: 'Apache-2.0', labels: { domain: 'finance', framework: 'pytorch' }, placement: 'cpu' as const };
  await client.publish(join(files, 'scorer-1.onnx'), { ...scorer, version: '1.0.0', description: 'Scores a row of eight normalised features.', aliases: ['stable'] });
  await client.publish(join(files, 'scorer-2.onnx'), { ...scorer, version: '1.1.0', description: 'Scores a row of eight normalised features; adds a bias of one.' });
  await client.publish(join(files, 'gain.onnx'), {
    name: 'audio-gain',
    version: '0.3.0',
    task: 'audio-processing',
    license: 'MIT',
    labels: { domain: 'audio' },
    placement: 'gpu',
    description: 'Multiplies a batch of audio frames by an integer gain k.',
  });
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await server?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('docs page in Chromium', () => {
  it('lists every published model with its facts and live status', async () => {
    const p = await page(await mainContext());
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await p.goto(server.url + '/');
    expect(await p.locator('h1').count()).toBe(1);
    expect(await visibleCards(p)).toEqual(['audio-gain', 'tabular-scorer']);
    const scorer = p.locator('li.card[data-model="tabular-scorer"]');
    await expect.poll(() => scorer.innerText()).toContain('1.1.0');
    const text = await scorer.innerText();
    expect(text).toContain('tabular-regression');
    expect(text).toContain('stable → 1.0.0');
    expect(text).toContain('CPU worker');
    expect(text).toMatch(/\d+ B/);
    expect(text).toContain('domain=finance');
    expect(await scorer.locator('.badge').innerText()).toBe('ready');
    const gain = await p.locator('li.card[data-model="audio-gain"]').innerText();
    expect(gain).toContain('model-host GPU');
    expect(gain).toContain('status unknown');
    await p.screenshot({ path: join(ARTIFACTS, 'index.png'), fullPage: true });
    // The CSP-pinned inline script ran, and nothing was blocked or thrown.
    expect(await p.evaluate(() => document.documentElement.classList.contains('js'))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('filters as you type and by task without reloading the page (JavaScript on)', async () => {
    const p = await page(await mainContext());
    await p.goto(server.url + '/');
    await p.evaluate(() => (window.marker = 42));
    await p.getByLabel('Search', { exact: true }).fill('audio frames');
    await expect.poll(() => visibleCards(p)).toEqual(['audio-gain']);
    expect(await p.locator('#count').innerText()).toBe('1 of 2 models');
    expect(new URL(p.url()).searchParams.get('q')).toBe('audio frames');
    await p.getByLabel('Search', { exact: true }).fill('no such thing');
    await expect.poll(() => visibleCards(p)).toEqual([]);
    await expect.poll(() => p.locator('#no-match').isVisible()).toBe(true);
    await p.getByLabel('Search', { exact: true }).fill('');
    await p.getByLabel('Task', { exact: true }).selectOption('tabular-regression');
    await expect.poll(() => visibleCards(p)).toEqual(['tabular-scorer']);
    await p.getByLabel('Runs on', { exact: true }).selectOption('model-host-gpu');
    await expect.poll(() => visibleCards(p)).toEqual([]);
    await p.getByLabel('Task', { exact: true }).selectOption('');
    await p.getByLabel('Label', { exact: true }).selectOption('domain=audio');
    await expect.poll(() => visibleCards(p)).toEqual(['audio-gain']);
    expect(new URL(p.url()).searchParams.get('label')).toBe('domain=audio');
    // Still the same document: nothing reloaded.
    expect(await p.evaluate(() => window.marker as number | undefined)).toBe(42);
  });

  it('opens a model page with its signature table, a snippet for its inputs and working copy buttons', async () => {
    const context = await mainContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const p = await page(context);
    await p.goto(server.url + '/');
    await p.getByRole('link', { name: 'audio-gain' }).click();
    await p.waitForURL(`${server.url}/models/audio-gain`);
    expect(await p.locator('h1').allInnerTexts()).toEqual(['audio-gain']);
    const inputs = await p.locator('#inputs tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    expect(inputs).toEqual([
      ['x', 'FP32', '[n, 3]'],
      ['k', 'I64', 'scalar'],
    ]);
    expect(await p.locator('#inputs .dyn').allInnerTexts()).toEqual(['n']);
    expect(await p.locator('#outputs tbody tr td').allInnerTexts()).toEqual(['y', 'FP32', '[n, 3]']);
    const snippet = await p.locator('#snippet-handler').innerText();
    expect(snippet).toContain("env.AI.run('audio-gain'");
    expect(snippet).toContain("x: { type: 'FP32', dims: [1, 3], data: Float32Array.from(");
    expect(snippet).toContain("k: { type: 'I64', dims: [], data: BigInt64Array.from(");
    expect(await p.locator('#snippet-deploy').innerText()).toContain('--model audio-gain');
    expect(await p.locator('#snippet-curl').innerText()).toContain(`${server.url}/audio-gain`);
    expect(await p.locator('#version-table tbody tr').count()).toBe(1);
    expect(await p.locator('#version-table').innerText()).toMatch(/sha256:[0-9a-f]{64}/);

    await p.getByRole('button', { name: 'Copy Deploy' }).click();
    await expect.poll(() => p.evaluate(() => navigator.clipboard.readText() as Promise<string>)).toBe(await p.locator('#snippet-deploy').textContent());
    await p.screenshot({ path: join(ARTIFACTS, 'model.png'), fullPage: true });

    await p.goto(server.url + '/models/tabular-scorer');
    expect(await p.locator('#version-table tbody tr').count()).toBe(2);
    expect(await p.locator('#inputs tbody td').allInnerTexts()).toEqual(['x', 'FP32', '[batch, 8]']);
  });

  it('filters through query parameters and the form with JavaScript off', async () => {
    const p = await page(await browserContext({ javaScriptEnabled: false }));
    await p.goto(server.url + '/?task=audio-processing');
    expect(await visibleCards(p)).toEqual(['audio-gain']);
    expect(await p.locator('#count').innerText()).toBe('1 of 2 models');
    await p.getByLabel('Task', { exact: true }).selectOption('');
    await p.getByLabel('Search', { exact: true }).fill('features');
    await p.getByRole('button', { name: 'Apply' }).click();
    await p.waitForURL((u) => u.searchParams.get('q') === 'features');
    expect(await visibleCards(p)).toEqual(['tabular-scorer']);
    await p.screenshot({ path: join(ARTIFACTS, 'index-no-js.png'), fullPage: true });
    // The model page is complete without a script: snippet text is there to select, copy buttons stay hidden.
    await p.goto(server.url + '/models/tabular-scorer');
    expect(await p.locator('#snippet-handler').innerText()).toContain("env.AI.run('tabular-scorer'");
    expect(await p.locator('button[data-copy]:visible').count()).toBe(0);
  });

  it('has labelled controls, visible keyboard focus and text contrast of at least 4.5:1 in light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const p = await page(await browserContext({ colorScheme }));
      for (const path of ['/', '/models/audio-gain']) {
        await p.goto(server.url + path);
        expect(await p.locator('h1').count()).toBe(1);
        const unlabelled = await p.locator('input, select').evaluateAll((els) => els.filter((e) => !(e as { labels?: { length: number } }).labels?.length).length);
        expect(unlabelled).toBe(0);
        const worst = await p.evaluate(lowestContrast);
        expect(worst.ratio, `${colorScheme} ${path}: '${worst.text}' is ${worst.ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(4.5);
      }
      await p.goto(server.url + '/');
      // Keyboard: the skip link, the brand link, then the search box, all with a visible outline.
      const focused: string[] = [];
      for (let i = 0; i < 3; i++) {
        await p.keyboard.press('Tab');
        focused.push(await p.evaluate(() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return `${String(el.tagName).toLowerCase()}${el.id ? '#' + el.id : ''}:${style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0}`;
        }));
      }
      expect(focused).toEqual(['a:true', 'a:true', 'input#f-q:true']);
    }
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const p = await page(await browserContext({ viewport: { width: 375, height: 740 } }));
    for (const [path, shot] of [['/', 'index-phone.png'], ['/models/tabular-scorer', 'model-phone.png']] as const) {
      await p.goto(server.url + path);
      const [scroll, client] = await p.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(scroll).toBeLessThanOrEqual(client!);
      await p.screenshot({ path: join(ARTIFACTS, shot), fullPage: true });
    }
  });

  it('shows a publisher-written <script> as text and never runs it', async () => {
    const files = join(dir, 'models');
    await writeFile(join(files, 'hostile.onnx'), addModel({ width: 2 }));
    const hostile = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">';
    await createRegistryClient({ url: server.url, token: TOKEN }).publish(join(files, 'hostile.onnx'), {
      name: 'hostile',
      version: '1.0.0',
      description: hostile,
      task: '<b>task</b>',
      labels: { note: '"><script>window.pwned = 3</script>' },
    });
    const p = await page(await mainContext());
    for (const path of ['/', '/models/hostile', '/?q=%3Cscript%3E']) {
      await p.goto(server.url + path);
      expect(await p.evaluate(() => window.pwned as number | undefined)).toBeUndefined();
      expect(await p.locator('main').innerText()).toContain('<script>window.pwned = 1</script>');
    }
  });
});

/** Walks every element with its own text and returns the one with the lowest text/background contrast. */
function lowestContrast(): { ratio: number; text: string } {
  const parse = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).map(Number);
  const lum = ([r, g, b]: number[]) => {
    const f = (v: number) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
  };
  const background = (el: { parentElement: unknown } | null): number[] => {
    for (let e = el; e; e = e.parentElement as typeof el) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3]! > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let worst = { ratio: 21, text: '' };
  for (const el of Array.from(document.querySelectorAll('body *')) as any[]) {
    const own = (Array.from(el.childNodes) as { nodeType: number; textContent: string }[]).some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width === 0 || box.height === 0) continue;
    const fg = lum(parse(getComputedStyle(el).color));
    const bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < worst.ratio) worst = { ratio, text: String(el.textContent ?? '').trim().slice(0, 60) };
  }
  return worst;
}
