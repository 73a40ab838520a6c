// The administration module's building blocks: a titled section, a compact table, a small
// form that sends its values and shows the server's field problems next to their fields, and
// the change of some of a queue's settings.

import { api } from './api.js';
import { h } from './dom.js';
import { problemText, t } from './i18n.js';

/**
 * Changes some of a queue's settings (`PATCH /queues/{id}`); the queue as it now is. PATCH
 * treats an absent notice, overflow or service level as "none", so they are read afresh and
 * sent along unchanged.
 */
export async function patchQueue(queueId, changes) {
  const current = await api(`/queues/${queueId}`);
  return api(`/queues/${queueId}`, {
    method: 'PATCH',
    body: {
      no_agent_notice_after_seconds: current.no_agent_notice_after_seconds,
      overflow_queue_id: current.overflow_queue_id,
      service_level_seconds: current.service_level_seconds,
      ...changes,
    },
  });
}

export function section(titleKey, ...content) {
  return h('section', { class: 'admin-section', 'aria-label': t(titleKey) },
    h('h3', { text: t(titleKey) }), content);
}

export function table(headKeys, rows) {
  return h('table', { class: 'data-table compact' },
    h('thead', {}, h('tr', {}, headKeys.map((key) => h('th', { scope: 'col', text: key ? t(key) : '' })))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))));
}

/**
 * A button in a table row: runs `action`, then says it is saved or why not. `label` names the
 * row it acts on for those who cannot see the table.
 */
export function rowButton(textKey, action, { notify, label, danger = false }) {
  return h('button', {
    type: 'button',
    class: `button small${danger ? ' danger' : ''}`,
    'aria-label': label,
    onclick: () => action().then(() => notify(t('saved')), (error) => notify(problemText(error), 'error')),
  }, t(textKey));
}

/** A table of `rows`, or the words `emptyKey` when there are none. */
export function tableOr(emptyKey, headKeys, rows) {
  return rows.length > 0 ? table(headKeys, rows) : h('p', { class: 'muted', text: t(emptyKey) });
}

/**
 * A small form whose submit runs `action(values)`; a required field left empty is pointed out
 * at once, and field problems from a 422 are shown next to their fields. `second` adds another
 * button running another action on the same values. A field is an input, a select (`options`,
 * `value` the one chosen) or, with `type: 'textarea'`, a text box.
 */
let formCount = 0;

export function form(fields, submitKey, action, second) {
  formCount += 1;
  const problems = new Map();
  const controls = fields.map((field) => {
    const id = `admin-form-${formCount}-${field.name}`;
    const problem = h('span', { class: 'field-error', role: 'alert' });
    problems.set(field.name, problem);
    let input;
    if (field.options) {
      input = h('select', { id, name: field.name }, field.options.map(([value, label]) => h('option', { value, text: label })));
      if (field.value !== undefined) input.value = field.value;
    } else if (field.type === 'textarea') {
      input = h('textarea', {
        id, name: field.name, rows: '3', maxlength: field.maxLength, required: field.required,
      }, field.value ?? '');
    } else {
      input = h('input', {
        id, name: field.name, type: field.type ?? 'text', value: field.value, required: field.required, checked: field.checked,
      });
    }
    return h('div', { class: `form-row ${field.type === 'checkbox' ? 'checkbox' : ''} ${field.type === 'textarea' ? 'wide' : ''}` },
      h('label', { for: id, text: t(field.label) }), input, problem);
  });
  const general = h('p', { class: 'form-error', role: 'alert' });
  const submit = (handler) => async (event) => {
    event.preventDefault();
    const el = event.target.closest('form');
    for (const p of problems.values()) p.textContent = '';
    general.textContent = '';
    const values = Object.fromEntries(new FormData(el));
    const missing = fields.filter((field) => field.required && !String(values[field.name] ?? '').trim());
    for (const field of missing) problems.get(field.name).textContent = t('fieldRequired');
    if (missing.length > 0) return;
    try {
      await handler(values);
    } catch (error) {
      const fieldErrors = error.problem?.errors ?? [];
      for (const { key, code, problem } of fieldErrors) {
        if (problems.has(key)) problems.get(key).textContent = code === 'required' ? t('fieldRequired') : problem;
      }
      if (!fieldErrors.some(({ key }) => problems.has(key))) general.textContent = problemText(error);
    }
  };
  return h('form', { class: 'admin-form', novalidate: true, onsubmit: submit(action) },
    controls,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'button primary' }, t(submitKey)),
      second && h('button', { type: 'button', class: 'button', onclick: submit(second.action) }, t(second.label))),
    general);
}
