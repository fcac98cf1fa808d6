import { picoToUsd } from '../core/pricing.js';
import type { ReplayResult } from './replay.js';
import { formatTable, type ReplayReport } from './report.js';

const WIDTH = 800;
const HEIGHT = 360;
const MARGIN = { top: 20, right: 20, bottom: 40, left: 80 };
/** More points than this per line are thinned out, since a line of a few hundred points already looks smooth. */
const MAX_POINTS = 1000;

const SERIES = [
  { policy: 'baseline', label: 'baseline', color: '#c0392b', dash: '' },
  { policy: 'optimized', label: 'Frugal', color: '#1e8449', dash: '' },
  { policy: 'same_model', label: 'Frugal, one model', color: '#2471a3', dash: '6 4' },
] as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Returns the indices of the points drawn: all of them, or an even spread that keeps the last. */
function sampledIndices(count: number): number[] {
  if (count <= MAX_POINTS) return Array.from({ length: count }, (_, i) => i);
  const step = (count - 1) / (MAX_POINTS - 1);
  return Array.from({ length: MAX_POINTS }, (_, i) => Math.round(i * step));
}

function chartSvg(result: ReplayResult): string {
  const turns = result.turns;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const maxCost = Math.max(...SERIES.map(({ policy }) => picoToUsd(result.policies[policy].cumulativeCostPico.at(-1) ?? 0)), 1e-9);
  const x = (turn: number) => MARGIN.left + (turns <= 1 ? 0 : (turn / (turns - 1)) * plotWidth);
  const y = (usd: number) => MARGIN.top + plotHeight - (usd / maxCost) * plotHeight;

  const parts: string[] = [];
  const decimals = maxCost < 1 ? 4 : 2;
  for (let tick = 0; tick <= 4; tick++) {
    const usd = (maxCost * tick) / 4;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(usd).toFixed(1)}" y2="${y(usd).toFixed(1)}" class="grid"/>`,
      `<text x="${MARGIN.left - 8}" y="${(y(usd) + 4).toFixed(1)}" text-anchor="end">$${usd.toFixed(decimals)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left}" y="${HEIGHT - 12}" text-anchor="start">turn 1</text>`,
    `<text x="${WIDTH - MARGIN.right}" y="${HEIGHT - 12}" text-anchor="end">turn ${turns}</text>`,
  );
  const indices = sampledIndices(turns);
  for (const { policy, color, dash } of SERIES) {
    const series = result.policies[policy].cumulativeCostPico;
    const points = indices.map((i) => `${x(i).toFixed(1)},${y(picoToUsd(series[i]!)).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" ` +
    `aria-label="Cumulative cost per turn, baseline against Frugal">${parts.join('')}</svg>`
  );
}

/**
 * Renders the report as one self-contained HTML page: inline CSS and an inline SVG chart of
 * the cumulative cost per turn, with no script and no external asset. It contains figures only,
 * never the text of a message.
 */
export function renderHtmlReport(report: ReplayReport, result: ReplayResult): string {
  const legend = SERIES.map(
    ({ label, color, dash }) =>
      `<span><svg width="28" height="10"><line x1="0" x2="28" y1="5" y2="5" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/></svg> ${escapeHtml(label)}</span>`,
  ).join(' ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Frugal replay report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; padding: 0 1rem; }
svg text { font-size: 12px; fill: #444; }
.grid { stroke: #ddd; stroke-width: 1; }
.legend span { margin-right: 1.5rem; }
pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; font-size: 13px; }
figure { margin: 1rem 0; }
</style>
</head>
<body>
<h1>Frugal replay report</h1>
<p>Savings against the baseline: <strong>${report.savings_pct.toFixed(2)}%</strong> with the Frugal policy,
${report.same_model_savings_pct.toFixed(2)}% with every route on ${escapeHtml(report.baseline.strong_model)}.</p>
<figure>
<figcaption>Cumulative cost in USD per turn, in replay order</figcaption>
${chartSvg(result)}
<p class="legend">${legend}</p>
</figure>
<pre>${escapeHtml(formatTable(report))}</pre>
</body>
</html>
`;
}
