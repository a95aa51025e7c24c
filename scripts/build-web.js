#!/usr/bin/env node
// Builds the web dashboard into dist/web: one minified ES module (app.js), one stylesheet (app.css),
// their source maps, index.html and the static assets. The HTTP server serves this directory and
// answers client routes (/sellers/…, /orders/…) with index.html, so every URL here is absolute.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const source = join(root, 'src/web');
const out = join(root, 'dist/web');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: [
    { in: 'src/web/main.ts', out: 'app' },
    { in: 'src/web/app.css', out: 'app' },
  ],
  outdir: out,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  // Licence comments of the bundled libraries (ECharts, zrender, topojson-client) go to a file beside the bundle.
  legalComments: 'linked',
  logLevel: 'warning',
});

copyFileSync(join(source, 'index.html'), join(out, 'index.html'));
copyFileSync(join(source, 'favicon.svg'), join(out, 'favicon.svg'));
// The map is fetched when a page first shows it, so it stays out of the bundle; whitespace removed.
const topology = JSON.parse(readFileSync(join(source, 'assets/brazil-states.topojson.json'), 'utf8'));
writeFileSync(join(out, 'assets/brazil-states.topojson.json'), JSON.stringify(topology));
copyFileSync(join(source, 'assets/NOTICE'), join(out, 'assets/NOTICE'));

// The web app's unit tests (its own logic: formats, routes, filters) run under node's test runner
// with the rest: bundled beside the compiled tests, where scripts/run-tests.js finds them.
const testsOut = join(root, 'dist/src/web');
rmSync(testsOut, { recursive: true, force: true });
const tests = walk(source).filter((f) => f.endsWith('.test.ts'));
if (tests.length > 0) {
  await build({
    absWorkingDir: root,
    entryPoints: tests.map((f) => relative(root, f)),
    outbase: 'src/web',
    outdir: testsOut,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
}

for (const file of ['app.js', 'app.css', 'assets/brazil-states.topojson.json']) {
  const path = join(out, file);
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`dist/web/${file}: ${kib(statSync(path).size)} (${kib(gzipSync(readFileSync(path)).length)} gzipped)`);
}
