// The administration module's opening hours, per queue: when customers can start a chat (the
// widget says when a closed topic opens, and the server refuses a start outside the hours).
// A time zone, one span a weekday and dated exceptions; "Always open" clears them.

import { h } from './dom.js';
import { localName, problemText, t } from './i18n.js';
import { patchQueue, section } from './admin-forms.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DEFAULT_ZONE = 'Europe/Oslo';

/** `queues`: each queue's settings as `GET /queues/{id}` has them. */
export function openingHoursSection(queues, { notify }) {
  return section('openingHours',
    h('p', { class: 'muted section-lead', text: t('openingHoursLead') }),
    h('div', { class: 'hours-list' }, queues.map((queue) => hoursForm(queue, notify))));
}

let ids = 0;
const nextId = (what) => {
  ids += 1;
  return `hours-${ids}-${what}`;
};

/** "08:00:00" as the server writes a time → "08:00" as a time field takes it. */
const clock = (time) => (time ?? '').slice(0, 5);

function labelled(label, input) {
  return h('div', { class: 'form-row' }, h('label', { for: input.id, text: t(label) }), input);
}

/** A from/to pair; empty both: closed. `span`: the first of the server's spans, if any. */
function spanFields(span) {
  const from = h('input', { id: nextId('from'), name: 'from', type: 'time', value: clock(span?.from) });
  const to = h('input', { id: nextId('to'), name: 'to', type: 'time', value: clock(span?.to) });
  return [labelled('openFrom', from), labelled('openTo', to)];
}

function dayRow(day, hours) {
  return h('div', { class: 'hours-row', role: 'group', 'aria-label': t('hoursOf', { day: t(`day_${day}`) }), dataset: { day } },
    h('span', { class: 'hours-day', 'aria-hidden': 'true', text: t(`day_${day}`) }),
    spanFields(hours?.weekly?.[day]?.[0]));
}

function exceptionRow(exception) {
  const date = h('input', { id: nextId('date'), name: 'date', type: 'date', value: exception?.date });
  const row = h('div', { class: 'hours-row exception', role: 'group', 'aria-label': t('exceptions') },
    labelled('exceptionDate', date),
    spanFields(exception?.spans?.[0]),
    h('button', { type: 'button', class: 'button small', onclick: () => row.remove() }, t('removeException')));
  return row;
}

/**
 * The spans of a row, or the words of what is wrong with it (which are shown, with the row
 * marked): the server's one code for every problem with the hours cannot point at a row.
 */
function spansOf(row) {
  const [from, to] = ['from', 'to'].map((name) => row.querySelector(`[name="${name}"]`));
  if (!from.value && !to.value) return [];
  if (!from.value || !to.value) return invalid(row, 'hoursHalfSpan');
  return [{ from: from.value, to: to.value }];
}

class RowProblem extends Error {}

function invalid(row, key) {
  for (const input of row.querySelectorAll('input')) input.setAttribute('aria-invalid', 'true');
  row.querySelector('input').focus();
  throw new RowProblem(t(key));
}

/** The hours the form holds, as PATCH takes them; `null`: always open. */
function hoursOf(form) {
  if (form.elements.always.checked) return null;
  const zone = form.elements.time_zone;
  if (!zone.value.trim()) invalid(zone.closest('.form-row'), 'hoursNoZone');
  const weekly = {};
  for (const row of form.querySelectorAll('.hours-row[data-day]')) {
    const spans = spansOf(row);
    if (spans.length > 0) weekly[row.dataset.day] = spans;
  }
  const exceptions = [...form.querySelectorAll('.hours-row.exception')].map((row) => {
    const date = row.querySelector('[name="date"]').value;
    if (!date) invalid(row, 'hoursNoDate');
    return { date, spans: spansOf(row) };
  });
  return { time_zone: zone.value.trim(), weekly, exceptions };
}

function hoursForm(queue, notify) {
  const hours = queue.opening_hours;
  const always = h('input', { id: nextId('always'), name: 'always', type: 'checkbox', checked: !hours });
  const zone = h('input', {
    id: nextId('zone'), name: 'time_zone', type: 'text', value: hours?.time_zone ?? DEFAULT_ZONE, autocomplete: 'off',
  });
  const exceptions = h('div', { class: 'hours-exceptions' }, (hours?.exceptions ?? []).map(exceptionRow));
  // Disabled as a whole while the queue is always open: the hours below are kept for later.
  const spec = h('fieldset', { class: 'hours-spec', disabled: !hours },
    h('legend', { class: 'visually-hidden', text: t('openingHours') }),
    labelled('timeZone', zone),
    h('div', { class: 'hours-week' }, DAYS.map((day) => dayRow(day, hours))),
    h('h3', { text: t('exceptions') }),
    exceptions,
    h('button', { type: 'button', class: 'button small', onclick: () => exceptions.append(exceptionRow()) }, t('addException')));
  always.addEventListener('change', () => { spec.disabled = always.checked; });
  const problem = h('p', { class: 'form-error', role: 'alert' });
  const save = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    problem.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    try {
      const saved = await patchQueue(queue.queue_id, { opening_hours: hoursOf(form) });
      Object.assign(queue, saved);
      notify(t('saved'));
    } catch (error) {
      if (error instanceof RowProblem) {
        problem.textContent = error.message;
        return;
      }
      // The server's words are English: its code is what is translated.
      const field = error.problem?.errors?.find((e) => e.key === 'opening_hours');
      const key = field && `hours:${field.code}`;
      problem.textContent = field ? (t(key) === key ? field.problem : t(key)) : problemText(error);
    }
  };
  return h('form', { class: 'hours-form', novalidate: true, onsubmit: save, dataset: { queueId: queue.queue_id } },
    h('fieldset', {},
      h('legend', { text: localName(queue) }),
      h('div', { class: 'form-row checkbox inline' }, always, h('label', { for: always.id, text: t('alwaysOpen') })),
      spec,
      problem,
      h('button', { type: 'submit', class: 'button primary', 'aria-label': t('saveHoursFor', { queue: localName(queue) }) }, t('save'))));
}
