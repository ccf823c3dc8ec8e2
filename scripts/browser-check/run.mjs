// The browser check: builds the editor harness with esbuild, serves it on
// 127.0.0.1, loads it in Debian's headless Chromium through playwright-core,
// fails on any console error or missing control, and writes screenshots of
// both editors to dist/screenshots (or SCREENSHOT_DIR).
import { build } from 'esbuild';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Screenshots go to dist/ so that a test run leaves the tree clean; to
// refresh the ones the README shows, run with SCREENSHOT_DIR=docs/img.
const shots = resolve(root, process.env.SCREENSHOT_DIR ?? join('dist', 'screenshots'));
const out = mkdtempSync(join(tmpdir(), 'fourkeys-harness-'));
const icons = join(root, 'node_modules', '@grafana', 'ui', 'dist', 'public', 'img', 'icons');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Grafana's global styles load the Inter font from Grafana's server. Outside
// Grafana the page gets Liberation Sans, which Debian's chromium depends on,
// for every font it asks for.
const standInFont = '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf';

const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
};

async function bundle() {
  await build({
    entryPoints: [join(root, 'scripts', 'browser-check', 'harness.tsx')],
    bundle: true,
    outfile: join(out, 'harness.js'),
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    loader: { '.svg': 'dataurl', '.png': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl' },
    logLevel: 'warning',
  });
}

/** serve answers the page, the bundle and @grafana/ui's icons, and nothing else. */
function serve() {
  const page =
    '<!doctype html><html><head><meta charset="utf-8"><title>ML Four Keys editors</title><link rel="icon" href="data:,">' +
    '<link rel="stylesheet" href="/harness.css"></head>' +
    '<body><div id="root"></div><script src="/harness.js"></script></body></html>';
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file;
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': types['.html'] }).end(page);
      return;
    } else if (url.pathname === '/harness.js' || url.pathname === '/harness.css') {
      file = join(out, url.pathname.slice(1));
    } else if (url.pathname.startsWith('/public/fonts/')) {
      file = standInFont;
    } else if (url.pathname.startsWith('/public/build/img/icons/')) {
      file = join(icons, normalize(url.pathname.slice('/public/build/img/icons/'.length)).replace(/^(\.\.[/\\])+/, ''));
    }
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const checks = {
  config: [
    ['switch', 'Demo events'],
    ['textbox', 'URL'],
    ['radio', 'Bearer token'],
    ['textbox', 'Production environment'],
    ['spinbutton', 'Incident attribution window (hours)'],
    ['spinbutton', 'Cache (seconds)'],
    ['button', 'Reset'],
    ['textbox', 'Tracking server'],
    ['radio', 'Username and password'],
    ['textbox', 'Experiment or model'],
    ['button', 'Advanced'],
  ],
  query: [
    ['radio', 'Time series'],
    ['radio', 'Summary'],
    ['combobox', 'Metric'],
    ['combobox', 'Aggregation'],
    ['combobox', 'Group by'],
    ['combobox', 'Bucket'],
    ['textbox', 'Trailing window'],
    ['textbox', 'Time zone'],
    ['combobox', 'Service'],
    ['combobox', 'Team'],
    ['combobox', 'Filter'],
  ],
};

async function main() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: install Debian's chromium package (apt-get install -y chromium)`);
  }
  await bundle();
  const server = await serve();
  const { port } = server.address();
  const profile = mkdtempSync(join(tmpdir(), 'fourkeys-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 1400 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const problems = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        problems.push(`console error: ${msg.text()}`);
      }
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    page.on('response', (rsp) => {
      if (rsp.status() >= 400) {
        problems.push(`HTTP ${rsp.status()}: ${rsp.url()}`);
      }
    });

    await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'networkidle' });
    for (const [editor, controls] of Object.entries(checks)) {
      const section = page.locator(`#${editor}-editor`);
      for (const [role, name] of controls) {
        const count = await section.getByRole(role, { name }).count();
        if (count === 0) {
          problems.push(`${editor} editor: no ${role} named "${name}"`);
        }
      }
    }
    const token = page.locator('#config-editor').getByPlaceholder('Token');
    if ((await token.inputValue()) !== 'configured' || !(await token.isDisabled())) {
      problems.push('config editor: the saved token is not shown as configured');
    }
    if (!(await page.locator('#query-editor').getByText("From a change's first commit").isVisible())) {
      problems.push('query editor: the definition of lead time is not shown');
    }
    await page.locator('#config-editor').screenshot({ path: join(shots, 'config-editor.png') });
    await page.locator('#query-editor').screenshot({ path: join(shots, 'query-editor.png') });
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
  const total = checks.config.length + checks.query.length + 2;
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    console.error(`browser-check: ${Math.max(0, total - problems.length)} passed, ${problems.length} failed`);
    process.exit(1);
  }
  console.log(`no console errors; screenshots of both editors in ${shots}`);
  console.log(`browser-check: ${total} passed, 0 failed`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
