// Supervisors: today's traffic per 15-minute interval (GET /reports/queues), drawn as inline
// SVG with DOM calls: offered and abandoned chats as bars, the service level as a line.

import { h, fill } from './dom.js';
import { t, formatClock } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const INTERVAL = 15 * 60 * 1000;
const W = 960;
const H = 240;
const PAD = { left: 40, right: 44, top: 14, bottom: 28 };

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') el.textContent = value;
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

/** Today, from local midnight to now, as the report's query. */
export function today() {
  const from = new Date();
  from.setHours(0, 0, 0, 0);
  return { from, to: new Date() };
}

/** The rows of one queue (or of all, summed) keyed by interval start time. */
function intervals(rows, queueId) {
  const byStart = new Map();
  for (const row of rows) {
    if (queueId && row.queue_id !== queueId) continue;
    const start = new Date(row.interval_start).getTime();
    const bin = byStart.get(start) ?? { start, offered: 0, abandoned: 0, slWeighted: 0, slBase: 0 };
    bin.offered += row.offered ?? 0;
    bin.abandoned += row.abandoned ?? 0;
    if (row.service_level_percent !== null && row.service_level_percent !== undefined) {
      const weight = Math.max(row.offered ?? 0, 1);
      bin.slWeighted += row.service_level_percent * weight;
      bin.slBase += weight;
    }
    byStart.set(start, bin);
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

/**
 * `rows`: the report; `queues`: [{queue_id, name}] for the picker; `choice`: '' for all
 * queues or a queue id; `onChoose(choice)`: the picker changed.
 */
export function renderDayChart(root, rows, { queues, choice, onChoose, period }) {
  const picker = h('select', {
    id: 'day-chart-queue',
    class: 'day-chart-picker',
    'aria-label': t('chartQueue'),
    onchange: (event) => onChoose(event.target.value),
  },
  h('option', { value: '', text: t('allQueues') }),
  queues.map((q) => h('option', { value: q.queue_id, text: q.name })));
  picker.value = choice;
  const bins = intervals(rows, choice);
  const head = h('header', { class: 'day-chart-head' },
    h('h2', { text: t('todayChart') }),
    h('span', { class: 'muted day-chart-range', text: `${formatClock(period.from)}–${formatClock(period.to)}` }),
    picker);
  if (bins.length === 0) {
    fill(root, head, h('p', { class: 'empty-state', text: t('chartEmpty') }));
    return;
  }
  fill(root, head, chart(bins, period), legend(bins));
}

function chart(bins, { from, to }) {
  const start = from.getTime();
  // To the end of the current hour: the bars of the last interval stay inside the frame.
  const endHour = new Date(to);
  endHour.setMinutes(60, 0, 0);
  const end = Math.max(endHour.getTime(), start + 6 * 3600 * 1000);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (time) => PAD.left + ((time - start) / (end - start)) * plotW;
  const maxCount = Math.max(1, ...bins.map((b) => b.offered));
  const top = niceCeiling(maxCount);
  const y = (count) => PAD.top + plotH - (count / top) * plotH;
  const ySl = (percent) => PAD.top + plotH - (percent / 100) * plotH;
  const barW = Math.max(2, (INTERVAL / (end - start)) * plotW - 2);

  const grid = [];
  for (let i = 0; i <= 4; i += 1) {
    const value = (top / 4) * i;
    const gy = y(value);
    grid.push(s('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: gy, y2: gy }));
    grid.push(s('text', { class: 'axis', x: PAD.left - 6, y: gy + 4, 'text-anchor': 'end', text: formatCount(value) }));
    grid.push(s('text', { class: 'axis sl', x: W - PAD.right + 6, y: gy + 4, text: `${25 * i} %` }));
  }
  const hours = [];
  const hourStep = (end - start) / 3600000 > 12 ? 2 : 1;
  for (let time = start; time <= end; time += hourStep * 3600000) {
    hours.push(s('text', { class: 'axis', x: x(time), y: H - 8, 'text-anchor': 'middle', text: formatClock(new Date(time)) }));
  }

  const bars = bins.map((bin) => {
    const bx = x(bin.start) + 1;
    const label = t('chartTip', {
      time: formatClock(new Date(bin.start)),
      offered: bin.offered,
      abandoned: bin.abandoned,
      sl: bin.slBase ? `${Math.round(bin.slWeighted / bin.slBase)} %` : '–',
    });
    return s('g', { class: 'interval' },
      s('title', { text: label }),
      s('rect', { class: 'bar offered', x: bx, y: y(bin.offered), width: barW, height: Math.max(0, y(0) - y(bin.offered)) }),
      bin.abandoned > 0 && s('rect', {
        class: 'bar abandoned', x: bx, y: y(bin.abandoned), width: barW, height: Math.max(0, y(0) - y(bin.abandoned)),
      }));
  });

  const points = bins.filter((b) => b.slBase > 0)
    .map((b) => [x(b.start + INTERVAL / 2), ySl(b.slWeighted / b.slBase)]);
  const line = points.length > 1
    && s('polyline', { class: 'sl-line', points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ') });
  const dots = points.map(([px, py]) => s('circle', { class: 'sl-dot', cx: px.toFixed(1), cy: py.toFixed(1), r: 3 }));
  const now = x(to.getTime());

  return s('svg', {
    class: 'day-chart-svg',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': t('chartLabel'),
  },
  grid,
  s('line', { class: 'baseline', x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0) }),
  bars,
  line,
  dots,
  s('line', { class: 'now', x1: now, x2: now, y1: PAD.top, y2: y(0) }),
  hours);
}

function legend(bins) {
  const offered = bins.reduce((sum, b) => sum + b.offered, 0);
  const abandoned = bins.reduce((sum, b) => sum + b.abandoned, 0);
  const base = bins.reduce((sum, b) => sum + b.slBase, 0);
  const sl = base ? `${Math.round(bins.reduce((sum, b) => sum + b.slWeighted, 0) / base)} %` : '–';
  const item = (kind, label, value) => h('li', { class: `legend-${kind}` },
    h('span', { class: 'swatch', 'aria-hidden': 'true' }), `${label}: `, h('strong', { text: String(value) }));
  return h('ul', { class: 'day-chart-legend' },
    item('offered', t('offered'), offered),
    item('abandoned', t('abandoned'), abandoned),
    item('sl', t('serviceLevel'), sl));
}

/** A top for the count axis with four whole, round steps. */
function niceCeiling(value) {
  const wanted = Math.ceil(value / 4);
  const magnitude = 10 ** Math.floor(Math.log10(wanted));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= wanted && Number.isInteger(m));
  return 4 * (step ?? 10 * magnitude);
}

function formatCount(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
