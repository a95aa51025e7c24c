// Renders the Grafana dashboard's panels from a real Prometheus: every panel's every query is asked
// over a time range (`/api/v1/query_range`) and drawn as a small line chart (SVG, no library), one
// tile a panel, in a page that Chromium turns into a PNG. Grafana itself is in no package registry
// here, so this is how the documentation shows what the dashboard shows.
//
//   import { renderPanels } from './monitoring-panels.js';
//   await renderPanels({ dashboard, prometheusUrl, startS, endS, stepS, out, browser });

const WIDTH = 420;
const HEIGHT = 170;
const PAD = { left: 52, right: 10, top: 26, bottom: 22 };
const COLOURS = ['#2f6fdf', '#e0742b', '#2c9c5a', '#c23b4f', '#7b59c7', '#8c8c2a', '#1f9bb0', '#b05b9c'];

/** Every panel with its queries, rows of panels flattened (Grafana nests panels in collapsed rows). */
export function panelsOf(dashboard) {
  const out = [];
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === 'row') {
      for (const inner of panel.panels ?? []) out.push(inner);
      continue;
    }
    out.push(panel);
  }
  return out.filter((p) => Array.isArray(p.targets) && p.targets.some((t) => typeof t.expr === 'string'));
}

/** Grafana's `$__rate_interval` and `$__interval` and dashboard variables, for a plain Prometheus query. */
export function plainExpr(expr, stepS) {
  return expr
    .replaceAll('$__rate_interval', `${Math.max(4 * stepS, 60)}s`)
    .replaceAll('$__interval', `${stepS}s`)
    .replaceAll('$__range', `${stepS}s`)
    .replace(/\$\{?[A-Za-z_]+\}?/g, '.*');
}

async function queryRange(prometheusUrl, expr, startS, endS, stepS) {
  const url = new URL('/api/v1/query_range', prometheusUrl);
  for (const [key, value] of Object.entries({ query: expr, start: String(startS), end: String(endS), step: String(stepS) })) url.searchParams.set(key, value);
  const answer = await (await globalThis.fetch(url)).json();
  if (answer.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${answer.error ?? JSON.stringify(answer)}`);
  return answer.data.result;
}

function legendOf(target, metric) {
  const format = target.legendFormat;
  if (typeof format === 'string' && format !== '' && format !== '__auto') {
    return format.replace(/\{\{\s*([A-Za-z_]+)\s*\}\}/g, (_m, name) => metric[name] ?? '');
  }
  const labels = Object.entries(metric).filter(([k]) => k !== '__name__' && k !== 'instance' && k !== 'job');
  return labels.length === 0 ? (metric.__name__ ?? 'value') : labels.map(([k, v]) => `${k}=${v}`).join(',');
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function formatValue(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 1 || a === 0) return v.toFixed(a >= 100 ? 0 : 1);
  return v.toPrecision(2);
}

/** One panel as an SVG tile: its series over [startS, endS]. */
function tile(title, series, startS, endS) {
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => Number.isFinite(v));
  let min = Math.min(0, ...values);
  let max = Math.max(...values, 0);
  if (max === min) max = min + 1;
  const x = (t) => PAD.left + ((t - startS) / Math.max(1, endS - startS)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - ((v - min) / (max - min)) * (HEIGHT - PAD.top - PAD.bottom);
  const lines = series.slice(0, COLOURS.length).map((s, i) => {
    const points = s.points.filter((p) => Number.isFinite(p[1])).map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${COLOURS[i]}" stroke-width="1.6" points="${points}"/>`;
  });
  const legend = series
    .slice(0, 4)
    .map((s, i) => `<tspan fill="${COLOURS[i]}">■</tspan> ${escape(s.name.slice(0, 28))}`)
    .join('  ');
  const empty = values.length === 0 ? `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" fill="#b00">no data</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
  <rect width="100%" height="100%" fill="#fff" stroke="#d8dce3"/>
  <text x="8" y="16" font-size="12" font-weight="600" fill="#1d2430">${escape(title)}</text>
  <text x="${PAD.left - 4}" y="${PAD.top + 4}" font-size="10" text-anchor="end" fill="#667">${formatValue(max)}</text>
  <text x="${PAD.left - 4}" y="${HEIGHT - PAD.bottom}" font-size="10" text-anchor="end" fill="#667">${formatValue(min)}</text>
  <line x1="${PAD.left}" y1="${HEIGHT - PAD.bottom}" x2="${WIDTH - PAD.right}" y2="${HEIGHT - PAD.bottom}" stroke="#ccd"/>
  ${lines.join('\n  ')}
  <text x="${PAD.left}" y="${HEIGHT - 6}" font-size="9" fill="#445">${legend}</text>
  ${empty}
</svg>`;
}

/**
 * Queries every panel and writes the picture of all of them to `out` (PNG). Returns, per panel, how
 * many series its queries gave (0: no data).
 */
export async function renderPanels({ dashboard, prometheusUrl, startS, endS, stepS, out, browser }) {
  const tiles = [];
  const counts = [];
  for (const panel of panelsOf(dashboard)) {
    const series = [];
    for (const target of panel.targets.filter((t) => typeof t.expr === 'string')) {
      for (const result of await queryRange(prometheusUrl, plainExpr(target.expr, stepS), startS, endS, stepS)) {
        series.push({ name: legendOf(target, result.metric), points: result.values.map(([t, v]) => [Number(t), Number(v)]) });
      }
    }
    counts.push({ panel: panel.title, series: series.length });
    tiles.push(tile(panel.title ?? '', series, startS, endS));
  }
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>
    body { margin: 0; padding: 12px; background: #f4f6f9; font-family: system-ui, sans-serif; }
    h1 { font-size: 16px; margin: 0 0 10px; color: #1d2430; }
    .grid { display: grid; grid-template-columns: repeat(3, ${WIDTH}px); gap: 10px; }
  </style></head><body><h1>${escape(dashboard.title ?? 'dashboard')}: panels from Prometheus, ${escape(new Date(startS * 1000).toISOString())} – ${escape(new Date(endS * 1000).toISOString())}</h1>
  <div class="grid">${tiles.join('\n')}</div></body></html>`;
  const page = await browser.newPage({ viewport: { width: 3 * WIDTH + 2 * 10 + 24, height: 800 } });
  try {
    await page.setContent(html);
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await page.close();
  }
  return counts;
}
