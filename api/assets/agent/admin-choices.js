// The lists kept for staff to choose from. In the administration module: the reasons agents
// pause for, and per queue the wrap-up codes chats end with, with the queue's wrap-up time and
// whether a code is required (saved with `patchQueue`, which keeps the rest). For supervisors
// and administrators (their own tab): the canned responses agents insert with `/`.

import { api, newIdempotencyKey } from './api.js';
import { fill, h } from './dom.js';
import { localName, problemText, t } from './i18n.js';
import { form, patchQueue, rowButton, section, tableOr } from './admin-forms.js';

const path = (base, code) => `${base}/${encodeURIComponent(code.trim())}`;

/** A list of `{code, label}` to remove from, and a form to add to (or relabel) it. */
function choiceList(base, choices, { notify, run, emptyKey, addKey }) {
  return [
    tableOr(emptyKey, ['code', 'label', ''], choices.map((c) => [c.code, c.label,
      rowButton('remove', () => api(path(base, c.code), { method: 'DELETE' }),
        { notify, danger: true, label: t('removeItem', { name: c.label }) })])),
    form([
      { name: 'code', label: 'code', required: true },
      { name: 'label', label: 'label', required: true },
    ], addKey, run((v) => api(path(base, v.code), { method: 'PUT', body: { label: v.label } }))),
  ];
}

export function pauseReasonsSection(reasons, { notify, run }) {
  return section('pauseReasons',
    h('p', { class: 'muted section-lead', text: t('pauseReasonsLead') }),
    choiceList('/pause-reasons', reasons, { notify, run, emptyKey: 'noPauseReasons', addKey: 'addReason' }));
}

/** `queues`: each queue's settings (`GET /queues/{id}`) with its `codes`. */
export function wrapUpSection(queues, { notify, run }) {
  return section('wrapUp',
    h('p', { class: 'muted section-lead', text: t('wrapUpLead') }),
    h('div', { class: 'wrap-up-queues' }, queues.map((queue) => {
      const titleId = `wrap-up-queue-${queue.queue_id}`;
      return h('div', { class: 'wrap-up-queue', role: 'group', 'aria-labelledby': titleId },
        h('h3', { id: titleId, text: localName(queue) }),
        form([
          { name: 'wrap_up_seconds', label: 'wrapUpSeconds', type: 'number', value: queue.wrap_up_seconds ?? undefined },
          { name: 'wrap_up_code_required', label: 'wrapUpCodeRequired', type: 'checkbox', checked: Boolean(queue.wrap_up_code_required) },
        ], 'save', run((v) => saveWrapUp(queue.queue_id, v))),
        choiceList(`/queues/${queue.queue_id}/wrap-up-codes`, queue.codes,
          { notify, run, emptyKey: 'noWrapUpCodes', addKey: 'addCode' }));
    })));
}

async function saveWrapUp(queueId, values) {
  const seconds = (values.wrap_up_seconds ?? '').trim();
  await patchQueue(queueId, {
    wrap_up_seconds: seconds === '' ? null : Number(seconds),
    wrap_up_code_required: values.wrap_up_code_required === 'on',
  });
}

/** The variables a canned response may use, shown as they are written. */
const VARIABLES = Object.fromEntries(['customer_name', 'agent_name', 'queue', 'place'].map((name) => [name, `{${name}}`]));

/** A 409 on a canned response: its shortcut is taken where it applies; said under the field. */
const shortcutTaken = () => Object.assign(new Error(t('shortcutTaken')), {
  problem: { errors: [{ key: 'shortcut', code: 'taken', problem: t('shortcutTaken') }] },
});

/**
 * Supervisors and administrators: the canned responses (`GET /canned-responses`), each with
 * Edit and Remove, and a form that adds one or changes the one being edited (`PUT
 * /canned-responses/{id}`; a new one's id is the console's, so a retry is the same response).
 * The view reads the list again after each change (no directory events reach supervisors);
 * what is typed in the form survives a removal.
 */
export async function renderCannedAdmin(root, { notify }) {
  const [{ queues }, first] = await Promise.all([api('/widget/config'), api('/canned-responses')]);
  const queueName = (queueId) => (queueId ? localName(queues.find((q) => q.queue_id === queueId)) ?? '–' : t('allQueues'));
  const list = h('section', { class: 'admin-section canned-list', 'aria-label': t('tabCanned') });
  const editor = h('section', { class: 'admin-section canned-editor', 'aria-labelledby': 'canned-editor-title' });
  let editing = null;

  const renderList = (responses) => fill(list, tableOr('noCanned',
    ['shortcut', 'cannedTitle', 'appliesTo', 'cannedText', ''],
    responses.map((r) => [
      h('code', { class: 'canned-code', text: `/${r.shortcut}` }),
      r.title,
      queueName(r.queue_id),
      h('div', { class: 'canned-texts' },
        h('p', { text: r.text_nb }),
        r.text_en && h('p', { class: 'muted', lang: 'en', text: r.text_en })),
      h('div', { class: 'row-actions' },
        h('button', {
          type: 'button',
          class: 'button small',
          'aria-label': t('editItem', { name: `/${r.shortcut}` }),
          onclick: () => {
            editing = r;
            renderEditor();
            editor.querySelector('input')?.focus();
          },
        }, t('edit')),
        h('button', {
          type: 'button',
          class: 'button small danger',
          'aria-label': t('removeItem', { name: `/${r.shortcut}` }),
          onclick: () => remove(r),
        }, t('remove'))),
    ])));

  const reload = async () => renderList(await api('/canned-responses'));

  async function remove(response) {
    try {
      await api(`/canned-responses/${response.response_id}`, { method: 'DELETE' });
      notify(t('cannedRemoved'));
      if (editing?.response_id === response.response_id) {
        editing = null;
        renderEditor();
      }
    } catch (error) {
      notify(problemText(error), 'error');
    }
    await reload().catch((error) => notify(problemText(error), 'error'));
  }

  function renderEditor() {
    const id = editing?.response_id ?? newIdempotencyKey();
    const shown = editing;
    const fields = form([
      { name: 'title', label: 'cannedTitle', required: true, value: shown?.title },
      { name: 'shortcut', label: 'shortcut', required: true, value: shown?.shortcut },
      {
        name: 'queue_id',
        label: 'appliesTo',
        options: [['', t('allQueues')], ...queues.map((q) => [q.queue_id, localName(q)])],
        value: shown?.queue_id ?? '',
      },
      { name: 'text_nb', label: 'textNb', type: 'textarea', required: true, maxLength: '4000', value: shown?.text_nb },
      { name: 'text_en', label: 'textEn', type: 'textarea', maxLength: '4000', value: shown?.text_en ?? '' },
    ], shown ? 'saveChanges' : 'addCanned', async (v) => {
      try {
        await api(`/canned-responses/${id}`, {
          method: 'PUT',
          body: {
            title: v.title,
            shortcut: v.shortcut.trim(),
            queue_id: v.queue_id || null,
            text_nb: v.text_nb,
            text_en: v.text_en?.trim() ? v.text_en : null,
          },
        });
      } catch (error) {
        throw error.status === 409 ? shortcutTaken() : error;
      }
      notify(t('saved'));
      editing = null;
      renderEditor();
      await reload();
    });
    if (shown) {
      fields.querySelector('.form-actions').append(h('button', {
        type: 'button',
        class: 'button',
        onclick: () => {
          editing = null;
          renderEditor();
        },
      }, t('cancel')));
    }
    fill(editor,
      h('h2', { id: 'canned-editor-title', text: shown ? t('editingCanned', { shortcut: shown.shortcut }) : t('newCanned') }),
      fields);
  }

  renderList(first);
  renderEditor();
  fill(root, h('p', { class: 'muted section-lead', text: t('cannedLead', VARIABLES) }), list, editor);
}
