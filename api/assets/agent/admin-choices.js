// The lists administrators keep for staff to choose from, in the administration module: the
// reasons agents pause for, and per queue the wrap-up codes chats end with, with the queue's
// wrap-up time and whether a code is required (saved with `patchQueue`, which keeps the rest).

import { api } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
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
        h('h4', { id: titleId, text: queue.name }),
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
