/**
 * What a scenario run looks like to a person: a summary table for the terminal and one
 * self-contained HTML page (inline SVG charts, no outside resources) readable offline.
 */
import { OUTCOMES, type ScenarioResult } from './run.js';

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const LISTENER_HEAD = ['listener', 'queued', 'accepted', 'refused (full)', 'refused (no descriptor)', 'reset', 'withdrawn'];

/** Listener rows; with a "could not listen" column when one of them could not. */
function listenerRows(r: ScenarioResult): { head: string[]; rows: (string | number)[][] } {
  const entries = Object.entries(r.listeners);
  const failed = entries.some(([, l]) => l.error != null);
  return {
    head: failed ? [...LISTENER_HEAD, 'could not listen'] : LISTENER_HEAD,
    rows: entries.map(([n, l]) => [
      n, l.queued, l.accepted, l.refusedFull, l.refusedNoDescriptor, l.resetByListener, l.withdrawn, ...(failed ? [l.error ?? ''] : []),
    ]),
  };
}

/** Why a host's requests failed: "3 WSAEMFILE, 1 WSAENETDOWN". */
function failureText(r: ScenarioResult, host: string): string {
  const reasons = r.failures?.[host];
  if (reasons === undefined) return '';
  return Object.entries(reasons).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([why, n]) => `${n} ${why}`).join(', ');
}

/** The terminal summary: per listener, then per client host (with why requests failed, if any did). */
export function summaryText(r: ScenarioResult): string {
  const l = listenerRows(r);
  const listeners = table(l.head, l.rows);
  const used = OUTCOMES.filter((o) => Object.values(r.clientHosts).some((h) => h[o] > 0));
  const why = Object.keys(r.clientHosts).some((n) => failureText(r, n) !== '');
  const clients = table(
    ['client host', ...used, ...(why ? ['failed because'] : [])],
    Object.entries(r.clientHosts).map(([n, h]) => [n, ...used.map((o) => h[o]), ...(why ? [failureText(r, n)] : [])]),
  );
  return `${r.name}: ${r.durationMs} ms of virtual time\n\n${listeners}\n\n${clients}\n`;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

/** An SVG line chart of several series over virtual time. */
function chart(title: string, id: string, times: number[], series: { name: string; values: number[] }[]): string {
  const w = 760;
  const h = 220;
  const pad = 40;
  const maxT = Math.max(1, ...times);
  const maxV = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (t: number) => pad + ((w - 2 * pad) * t) / maxT;
  const y = (v: number) => h - pad + (-(h - 2 * pad) * v) / maxV;
  const lines = series.map((s, i) => {
    const d = s.values.map((v, j) => `${j === 0 ? 'M' : 'L'}${x(times[j]!).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"><title>${esc(s.name)}</title></path>`;
  }).join('');
  const legend = series.map((s, i) => `<tspan fill="${COLORS[i % COLORS.length]}">■ ${esc(s.name)}</tspan>`).join('  ');
  return `<figure><figcaption>${esc(title)}</figcaption><svg id="${id}" class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">`
    + `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#999"/>`
    + `<text x="${pad}" y="${pad - 8}" font-size="12">${maxV}</text><text x="${w - pad}" y="${h - pad + 16}" font-size="12" text-anchor="end">${maxT} ms</text>`
    + `<text x="${pad}" y="${h - 6}" font-size="12">0</text>${lines}<text x="${pad + 40}" y="${pad - 8}" font-size="12">${legend}</text></svg></figure>`;
}

/** The self-contained HTML report. */
export function reportHtml(r: ScenarioResult): string {
  const times = r.timeline.map((s) => s.timeMs);
  const listeners = listenerRows(r);
  const queues = Object.keys(r.listeners).map((n) => ({ name: `queue depth: ${n}`, values: r.timeline.map((s) => s.queues[n] ?? 0) }));
  const totals = (['accepted', 'refused', 'reset'] as const).map((k) => ({ name: k, values: r.timeline.map((s) => s[k]) }));
  const rows = (head: string[], body: (string | number)[][]) =>
    `<table><tr>${head.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${body.map((row) => `<tr>${row.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('')}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.name)} — winsock-spi scenario</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:900px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}figure{margin:1em 0}figcaption{font-weight:600}</style>
</head><body>
<h1>${esc(r.name)}</h1>
<p>${r.durationMs} ms of virtual time on the winsock-spi virtual network.</p>
${chart('Listen queue depth over virtual time', 'queue-chart', times, queues)}
${chart('Connection requests: accepted, refused and reset so far', 'outcome-chart', times, totals)}
<h2>Listeners</h2>
${rows(listeners.head, listeners.rows)}
<h2>Client hosts</h2>
${rows(['client host', ...OUTCOMES, 'failed because'], Object.entries(r.clientHosts).map(([n, h]) => [n, ...OUTCOMES.map((o) => h[o]), failureText(r, n)]))}
<h2>Events</h2>
${rows(['time (ms)', 'event'], r.events.map((e) => [e.timeMs.toFixed(1), e.text]))}
</body></html>
`;
}
