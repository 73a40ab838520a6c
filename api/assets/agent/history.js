// Supervisors: the history's search (GET /chats/history) — a date range, the customer (name or
// any form answer), agent, queue and status — and its CSV export (GET /chats/history.csv with
// the same filters). The export is fetched with the bearer token and saved from a Blob: a plain
// link could not carry the token. The rows themselves are drawn by audit.js.

import { blob } from './api.js';
import { h, fill } from './dom.js';
import { t } from './i18n.js';

export const STATUSES = ['waiting', 'assigned', 'ended', 'abandoned', 'left'];

/** `YYYY-MM-DD` of a date in local time, as a date input holds it. */
function day(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The search the History view opens with: today, everything. */
export function todaysSearch() {
  const today = day(new Date());
  return { from: today, to: today, customer: '', agent_id: '', queue_id: '', status: '' };
}

/**
 * The query string of a search: from the start of its first day to the end of its last, in
 * local time (a last day before the first asks for an empty period, which the server answers
 * with no chats).
 */
export function historyQuery(search, limit) {
  const params = new URLSearchParams();
  const from = new Date(`${search.from}T00:00:00`);
  const to = new Date(`${search.to}T00:00:00`);
  to.setDate(to.getDate() + 1);
  if (!Number.isNaN(from.getTime())) params.set('from', from.toISOString());
  if (!Number.isNaN(to.getTime())) params.set('to', to.toISOString());
  for (const key of ['customer', 'agent_id', 'queue_id', 'status']) {
    if (search[key].trim()) params.set(key, search[key].trim());
  }
  if (limit) params.set('limit', String(limit));
  return params.toString();
}

/**
 * The search form. `queues`: [{queue_id, name}]; `agents`: [{user_id, display_name}];
 * `onSearch(search)`: the form was sent; `onExport(search)`: the CSV was asked for.
 */
export function renderHistorySearch(root, searched, { queues, agents, queueName, onSearch, onExport }) {
  // Labelled by `for`, not by wrapping: a wrapping label would lend a select its options' text.
  const field = (label, control) => {
    control.id = `history-${control.name}`;
    return h('div', { class: 'history-field' }, h('label', { for: control.id, text: t(label) }), control);
  };
  const choice = (key, all, options) => {
    const select = h('select', { name: key },
      h('option', { value: '', text: t(all) }),
      options.map(([value, text]) => h('option', { value, text })));
    select.value = search[key];
    return select;
  };
  const read = (form) => Object.fromEntries(
    Object.keys(searched).map((key) => [key, form.elements[key]?.value ?? '']));
  // Drawn again (a new language, a reload), the form keeps what was typed and not yet sent.
  const shown = root.querySelector('form.history-search');
  const search = shown ? read(shown) : searched;
  const form = h('form', {
    class: 'history-search',
    'aria-label': t('historySearch'),
    onsubmit: (event) => {
      event.preventDefault();
      onSearch(read(event.currentTarget));
    },
  },
  field('historyFrom', h('input', { type: 'date', name: 'from', value: search.from, required: true })),
  field('historyTo', h('input', { type: 'date', name: 'to', value: search.to, required: true })),
  field('historyCustomer', h('input', {
    type: 'search', name: 'customer', value: search.customer, maxlength: 100, placeholder: t('historyCustomerHint'),
  })),
  field('agent', choice('agent_id', 'allAgents', agents.map((a) => [a.user_id, a.display_name]))),
  field('queue', choice('queue_id', 'allQueues', queues.map((q) => [q.queue_id, queueName(q.queue_id)]))),
  field('statusLabel', choice('status', 'allStatuses', STATUSES.map((s) => [s, t(`status_${s}`)]))),
  h('div', { class: 'history-buttons' },
    h('button', { type: 'submit', class: 'button primary', text: t('historySearchButton') }),
    h('button', {
      type: 'button',
      class: 'button',
      id: 'history-export',
      onclick: (event) => onExport(read(event.currentTarget.form)),
    }, t('historyExport'))));
  fill(root, form);
}

/** Saves the CSV export of `search` as a file (at most 10,000 chats, which it then says). */
export async function exportHistory(search, notify) {
  const { data, headers } = await blob(`/chats/history.csv?${historyQuery(search)}`);
  const link = h('a', { href: URL.createObjectURL(data), download: `chat-history-${search.from}-${search.to}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has the file once the click is handled; the URL is not needed after.
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
  if (headers.get('X-Rows-Truncated') === 'true') notify(t('historyExportCapped'), 'error');
}
