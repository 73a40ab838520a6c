// The administration module (administrators): users, queues, queue membership, categories,
// the pre-chat form's fields, transcript retention and erasure, on the admin endpoints. Every change is an event; the
// console reloads this view when directory events arrive.

import { api, post } from './api.js';
import { h, fill } from './dom.js';
import { problemText, t } from './i18n.js';
import { erasureSection, retentionSection } from './privacy.js';

export async function renderAdmin(root, { notify }) {
  const [users, config, board] = await Promise.all([api('/users'), api('/widget/config'), api('/queues')]);
  const { categories, fields } = config;
  // The retention is in the queue listings; the board's rows stand in where the config's lack it.
  const queues = config.queues.map((q) => {
    const row = board.find((b) => b.queue_id === q.queue_id);
    return 'transcript_retention_days' in q || !row || !('transcript_retention_days' in row)
      ? q : { ...q, transcript_retention_days: row.transcript_retention_days };
  });
  const queueName = new Map(queues.map((q) => [q.queue_id, q.name]));
  const queueOptions = queues.map((q) => [q.queue_id, q.name]);
  const run = (action) => async (values) => {
    await action(values);
    notify(t('saved'));
  };

  fill(root,
    section('users',
      table(['username', 'displayName', 'role', 'maxChats', 'active', ''], users.map((u) => [
        u.username, u.display_name, t(`role_${u.role}`), String(u.max_concurrent_chats),
        u.active ? t('active') : t('inactive'),
        h('button', {
          type: 'button',
          class: 'button small',
          onclick: () => run(() => api(`/users/${u.user_id}`, { method: 'PATCH', body: { active: !u.active } }))()
            .catch((e) => notify(problemText(e), 'error')),
        }, t(u.active ? 'deactivate' : 'activate')),
      ])),
      form([
        { name: 'username', label: 'username', required: true },
        { name: 'display_name', label: 'displayName', required: true },
        { name: 'password', label: 'password', type: 'password', required: true },
        { name: 'role', label: 'role', options: ['agent', 'supervisor', 'administrator'].map((r) => [r, t(`role_${r}`)]) },
        { name: 'max_concurrent_chats', label: 'maxChats', type: 'number', value: '3' },
      ], 'create', run((v) => post('/users', { ...v, max_concurrent_chats: Number(v.max_concurrent_chats) })))),
    section('queues',
      table(['name'], queues.map((q) => [q.name])),
      form([{ name: 'name', label: 'name', required: true }], 'create', run((v) => post('/queues', v)))),
    section('membership',
      form([
        { name: 'queue_id', label: 'queue', options: queueOptions },
        { name: 'user_id', label: 'user', options: users.map((u) => [u.user_id, u.display_name]) },
      ], 'addMember', run((v) => post(`/queues/${v.queue_id}/members`, { user_id: v.user_id })), {
        label: 'removeMember',
        action: run((v) => api(`/queues/${v.queue_id}/members/${v.user_id}`, { method: 'DELETE' })),
      })),
    section('categories',
      table(['name', 'queue'], categories.map((c) => [c.name, queueName.get(c.queue_id) ?? '–'])),
      form([
        { name: 'name', label: 'name', required: true },
        { name: 'queue_id', label: 'queue', options: queueOptions },
      ], 'create', run((v) => post('/categories', v)))),
    section('formFields',
      table(['key', 'label', 'kind', 'required', 'options', ''], fields.map((f) => [
        f.key, f.label, t(`kind_${f.kind}`), t(f.required ? 'yes' : 'no'), f.options.join(', ') || '–',
        h('button', {
          type: 'button',
          class: 'button small danger',
          onclick: () => run(() => api(`/form-fields/${encodeURIComponent(f.key)}`, { method: 'DELETE' }))()
            .catch((e) => notify(problemText(e), 'error')),
        }, t('remove')),
      ])),
      form([
        { name: 'key', label: 'key', required: true },
        { name: 'label', label: 'label', required: true },
        { name: 'kind', label: 'kind', options: ['text', 'email', 'phone', 'select'].map((k) => [k, t(`kind_${k}`)]) },
        { name: 'required', label: 'required', type: 'checkbox' },
        { name: 'options', label: 'options' },
        { name: 'max_length', label: 'maxLength', type: 'number', value: '200' },
      ], 'create', run((v) => post('/form-fields', {
        ...v,
        required: v.required === 'on',
        options: (v.options ?? '').split(',').map((o) => o.trim()).filter(Boolean),
        max_length: Number(v.max_length),
      })))),
    retentionSection(queues, { notify, section }),
    erasureSection({ section }));
}

function section(titleKey, ...content) {
  return h('section', { class: 'admin-section', 'aria-label': t(titleKey) },
    h('h3', { text: t(titleKey) }), content);
}

function table(headKeys, rows) {
  return h('table', { class: 'data-table compact' },
    h('thead', {}, h('tr', {}, headKeys.map((key) => h('th', { scope: 'col', text: key ? t(key) : '' })))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))));
}

/**
 * A small form whose submit runs `action(values)`; field problems from a 422 are shown next
 * to their fields. `second` adds another button running another action on the same values.
 */
let formCount = 0;

function form(fields, submitKey, action, second) {
  formCount += 1;
  const problems = new Map();
  const controls = fields.map((field) => {
    const id = `admin-form-${formCount}-${field.name}`;
    const problem = h('span', { class: 'field-error', role: 'alert' });
    problems.set(field.name, problem);
    const input = field.options
      ? h('select', { id, name: field.name }, field.options.map(([value, label]) => h('option', { value, text: label })))
      : h('input', {
        id, name: field.name, type: field.type ?? 'text', value: field.value, required: field.required,
      });
    return h('div', { class: `form-row ${field.type === 'checkbox' ? 'checkbox' : ''}` },
      h('label', { for: id, text: t(field.label) }), input, problem);
  });
  const general = h('p', { class: 'form-error', role: 'alert' });
  const submit = (handler) => async (event) => {
    event.preventDefault();
    const el = event.target.closest('form');
    for (const p of problems.values()) p.textContent = '';
    general.textContent = '';
    try {
      await handler(Object.fromEntries(new FormData(el)));
    } catch (error) {
      const fieldErrors = error.problem?.errors ?? [];
      for (const { key, problem } of fieldErrors) {
        if (problems.has(key)) problems.get(key).textContent = problem;
      }
      if (!fieldErrors.some(({ key }) => problems.has(key))) general.textContent = error.message;
    }
  };
  return h('form', { class: 'admin-form', novalidate: true, onsubmit: submit(action) },
    controls,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'button primary' }, t(submitKey)),
      second && h('button', { type: 'button', class: 'button', onclick: submit(second.action) }, t(second.label))),
    general);
}
