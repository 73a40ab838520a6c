// Supervisors: today's traffic per 15-minute interval (GET /reports/queues), drawn as inline
// SVG with DOM calls: offered and abandoned chats as bars, the service level as a line, and the
// queue's service-level target (GET /queues/{id}) as a dashed one. The whole day, or zoomed to
// the last 4 hours or the last hour, where a busy hour is more than a sliver.

import { h, fill } from './dom.js';
import { t, formatClock, localName } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const INTERVAL = 15 * 60 * 1000;
const W = 960;
const H = 240;
const PAD = { left: 40, right: 44, top: 14, bottom: 28 };
const HOUR = 3600 * 1000;
/** The spans the chart zooms to: key → hours back from now (`null`: since midnight). */
export const SPANS = { day: null, '4h': 4, '1h': 1 };
/** A queue with no target of its own aims at this share of chats, as the server says. */
const DEFAULT_TARGET = 80;

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
 * The target the chart draws: the chosen queue's, or for all queues the one they share (none
 * when they differ). `targets`: queue id → percent or null (the default).
 */
function targetOf(targets, queues, choice) {
  const of = (queueId) => targets.get(queueId) ?? DEFAULT_TARGET;
  if (choice) return of(choice);
  const all = new Set(queues.map((q) => of(q.queue_id)));
  return all.size === 1 ? [...all][0] : null;
}

/** The window shown: since midnight, or the last `SPANS[span]` hours of today. */
function shownPeriod(period, span) {
  const hours = SPANS[span];
  if (!hours) return period;
  return { from: new Date(Math.max(period.from.getTime(), period.to.getTime() - hours * HOUR)), to: period.to };
}

/**
 * `rows`: the report; `queues`: [{queue_id, name}] for the picker; `choice`: '' for all
 * queues or a queue id; `onChoose(choice)`: the picker changed; `targets`: each queue's
 * service-level target; `span`: a key of SPANS, `onSpan(span)`: the zoom changed.
 */
export function renderDayChart(root, rows, { queues, choice, onChoose, period, targets, span, onSpan }) {
  const picker = h('select', {
    id: 'day-chart-queue',
    class: 'day-chart-picker',
    'aria-label': t('chartQueue'),
    onchange: (event) => onChoose(event.target.value),
  },
  h('option', { value: '', text: t('allQueues') }),
  queues.map((q) => h('option', { value: q.queue_id, text: localName(q) })));
  picker.value = choice;
  const shown = shownPeriod(period, span);
  // An interval shows when any of it falls in the window.
  const bins = intervals(rows, choice).filter((bin) => bin.start + INTERVAL > shown.from.getTime());
  const zoom = h('div', { class: 'day-chart-zoom', role: 'group', 'aria-label': t('chartZoom') },
    Object.keys(SPANS).map((key) => h('button', {
      type: 'button',
      class: 'button small',
      dataset: { span: key },
      'aria-pressed': String(key === span),
      onclick: () => onSpan(key),
    }, t(`chartSpan_${key}`))));
  const head = h('header', { class: 'day-chart-head' },
    h('h2', { text: t('todayChart') }),
    h('span', { class: 'muted day-chart-range', text: `${formatClock(shown.from)}–${formatClock(shown.to)}` }),
    zoom,
    picker);
  if (bins.length === 0) {
    fill(root, head, h('p', { class: 'empty-state', text: t('chartEmpty') }));
    return;
  }
  const target = targetOf(targets, queues, choice);
  fill(root, head, chart(bins, shown, target, SPANS[span]), legend(bins, target));
}

function chart(bins, { from, to }, target, hoursBack) {
  // A zoomed chart starts at the first whole interval it shows, so its bars are not cut.
  const start = hoursBack ? Math.floor(from.getTime() / INTERVAL) * INTERVAL : from.getTime();
  // To the end of the current hour (or quarter, zoomed): the last bars stay inside the frame.
  const endHour = new Date(to);
  if (hoursBack === 1) endHour.setMinutes(Math.ceil((to.getMinutes() + 1) / 15) * 15, 0, 0);
  else endHour.setMinutes(60, 0, 0);
  const end = Math.max(endHour.getTime(), start + (hoursBack ?? 6) * HOUR);
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
  const span = (end - start) / HOUR;
  // Two-hourly over a long day, hourly over a few hours, each quarter over the last hour.
  const step = (span > 12 ? 2 : span > 2 ? 1 : 0.25) * HOUR;
  // Zoomed, the first tick is the first whole hour (or quarter) in view.
  const first = hoursBack ? Math.ceil(start / step) * step : start;
  for (let time = first; time <= end; time += step) {
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
  const goal = target !== null && [
    s('line', { class: 'sl-target', x1: PAD.left, x2: W - PAD.right, y1: ySl(target), y2: ySl(target) }),
    s('text', { class: 'axis sl-target-label', x: W - PAD.right - 4, y: ySl(target) - 4, 'text-anchor': 'end', text: t('chartTarget', { n: target }) }),
  ];

  return s('svg', {
    class: 'day-chart-svg',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': t('chartLabel'),
  },
  grid,
  s('line', { class: 'baseline', x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0) }),
  bars,
  goal,
  line,
  dots,
  s('line', { class: 'now', x1: now, x2: now, y1: PAD.top, y2: y(0) }),
  hours);
}

function legend(bins, target) {
  const offered = bins.reduce((sum, b) => sum + b.offered, 0);
  const abandoned = bins.reduce((sum, b) => sum + b.abandoned, 0);
  const base = bins.reduce((sum, b) => sum + b.slBase, 0);
  const sl = base ? `${Math.round(bins.reduce((sum, b) => sum + b.slWeighted, 0) / base)} %` : '–';
  const item = (kind, label, value) => h('li', { class: `legend-${kind}` },
    h('span', { class: 'swatch', 'aria-hidden': 'true' }), `${label}: `, h('strong', { text: String(value) }));
  return h('ul', { class: 'day-chart-legend' },
    item('offered', t('offered'), offered),
    item('abandoned', t('abandoned'), abandoned),
    item('sl', t('serviceLevel'), sl),
    target !== null && item('target', t('serviceLevelTarget'), `${target} %`));
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
