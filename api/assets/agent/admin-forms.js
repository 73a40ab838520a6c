// The administration module's building blocks: a titled section, a compact table whose rows
// can be edited in place, a small form that sends its values and shows the server's field
// problems next to their fields, a removal that asks first, and the change of some of a
// queue's settings.

import { api } from './api.js';
import { fill, h } from './dom.js';
import { problemText, t } from './i18n.js';
import { confirmAction } from './confirm.js';

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

/** A section of the view: its h2 sits under the view's h1, and anything inside it is h3. */
export function section(titleKey, ...content) {
  return h('section', { class: 'admin-section', 'aria-label': t(titleKey) },
    h('h2', { text: t(titleKey) }), content);
}

/**
 * A table of `rows`, each its cells or a row of its own (`editableRow`). An empty head key is
 * the buttons' column: named for screen readers only.
 */
export function table(headKeys, rows) {
  return h('table', { class: 'data-table compact' },
    h('thead', {}, h('tr', {}, headKeys.map((key) => h('th', { scope: 'col' },
      key ? t(key) : h('span', { class: 'visually-hidden', text: t('actions') }))))),
    h('tbody', {}, rows.map((row) => (row instanceof Node ? row : h('tr', {}, row.map((cell) => h('td', {}, cell)))))));
}

/**
 * A table row that is edited in place: `cells` with an edit button (`editKey`, named
 * `label` for those who cannot see the table) and the `buttons` beside it; the edit button
 * turns the row into a form of `fields` whose Save runs `save(values)` and whose Cancel puts
 * the row back. Once saved, the directory's live event redraws the view.
 */
export function editableRow(cells, { fields, save, editKey = 'edit', label, buttons = [] }) {
  const row = h('tr', {});
  const show = () => fill(row, cells.map((cell) => h('td', {}, cell)), h('td', {},
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'button small', 'aria-label': label, onclick: edit }, t(editKey)),
      buttons)));
  const edit = () => {
    const editor = form(fields, 'save', save);
    editor.querySelector('.form-actions').append(h('button', {
      type: 'button',
      class: 'button',
      onclick: () => {
        show();
        row.querySelector('button').focus();
      },
    }, t('cancel')));
    fill(row, h('td', { colspan: String(cells.length + 1) }, editor));
    editor.querySelector('input, select').focus();
  };
  show();
  return row;
}

/**
 * A button that removes something once the confirmation dialog has asked (`title`, `text`).
 * A refusal goes to the toast: the console's words for it, and the server's reason (a queue
 * in use says what still uses it).
 */
export function removeButton(remove, { notify, label, title, text }) {
  return h('button', {
    type: 'button',
    class: 'button small danger',
    'aria-label': label,
    onclick: async () => {
      if (!await confirmAction({ title, text, confirm: t('remove') })) return;
      try {
        await remove();
        notify(t('removed'));
      } catch (error) {
        const said = problemText(error);
        const reason = error.status === 409 ? error.problem?.detail : undefined;
        notify(reason && !said.includes(reason) ? `${said} ${reason}` : said, 'error');
      }
    },
  }, t('remove'));
}

/**
 * A button in a table row: runs `action`, then says it is saved or why not. `label` names the
 * row it acts on for those who cannot see the table. The view is redrawn after each change:
 * `key` brings the focus back to this button, which is why one that does nothing now (a
 * field already at the top) is `aria-disabled` rather than disabled, and can keep it.
 */
export function rowButton(textKey, action, {
  notify, label, danger = false, disabled = false, key,
}) {
  return h('button', {
    type: 'button',
    class: `button small${danger ? ' danger' : ''}`,
    'aria-label': label,
    'aria-disabled': disabled && 'true',
    dataset: key && { key },
    onclick: () => disabled
      || action().then(() => notify(t('saved')), (error) => notify(problemText(error), 'error')),
  }, t(textKey));
}

/** A text field's value for the API: blank is `null` (none given). */
export const blankToNull = (text) => (text?.trim() ? text : null);

/**
 * The name fields of a queue or category (`row`: the one edited, if any), Norwegian and
 * English, and their values as the API takes them (no English name: `null`).
 */
export const nameFields = (row) => [
  { name: 'name', label: 'name', required: true, value: row?.name },
  { name: 'name_en', label: 'nameEn', value: row?.name_en ?? undefined },
];
export const namesOf = (values) => ({ name: values.name, name_en: blankToNull(values.name_en) });

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
