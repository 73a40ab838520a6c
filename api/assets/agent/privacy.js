// Personal data in the console (issue 17): an ended chat's legal hold and its erasure (in the
// audit dialog, for supervisors and administrators), and, in the administration module, the
// transcript retention per queue and erasure on request by e-mail, phone or chat id. Every
// erasure passes a confirmation that says what goes, for good.

import { api, post } from './api.js';
import { h, fill, rerender } from './dom.js';
import { formatTime, localName, problemText, t } from './i18n.js';
import { confirmAction } from './confirm.js';
import { customerName, dropPersonal, erasedBadge } from './erased.js';

const ended = (chat) => chat.status === 'ended' || chat.status === 'abandoned';

/**
 * The personal-data bar of a chat: its state (erased, under legal hold), the hold's toggle
 * (supervisors, administrators) and "Erase this chat" (administrators). Only an ended chat has
 * one: a chat still going on can be neither held nor erased. `onChanged(chat)` runs after the
 * server accepted a change, with `chat` updated to match.
 */
export function renderChatPrivacy(root, chat, { me, notify, onChanged }) {
  root.hidden = !ended(chat) && !chat.erased;
  if (root.hidden) {
    fill(root);
    return;
  }
  const held = Boolean(chat.legal_hold);
  const admin = me.role === 'administrator';
  const act = async (button, action) => {
    button.disabled = true;
    try {
      if (await action()) onChanged(chat);
    } catch (error) {
      notify(problemText(error), 'error');
    } finally {
      button.disabled = false;
    }
  };
  const toggleHold = (event) => act(event.currentTarget, async () => {
    const path = `/chats/${chat.chat_id}/legal-hold`;
    const answer = held ? await api(path, { method: 'DELETE' }) : await post(path);
    chat.legal_hold = answer?.legal_hold ?? !held;
    notify(t(chat.legal_hold ? 'legalHoldPlaced' : 'legalHoldLifted'));
    return true;
  });
  const erase = (event) => act(event.currentTarget, async () => {
    const confirmed = await confirmAction({
      title: t('eraseChatTitle', { name: customerName(chat.customer_name) }),
      text: t('eraseChatText', { n: chat.transcript?.length ?? 0 }),
      confirm: t('confirmErase'),
    });
    if (!confirmed) return false;
    await post(`/chats/${chat.chat_id}/erase`, { reason: 'request' });
    dropPersonal(chat);
    notify(t('chatErased'));
    return true;
  });
  const hadFocus = root.contains(document.activeElement);
  rerender(root, () => fill(root,
    h('h3', { class: 'visually-hidden', text: t('privacyActions') }),
    h('div', { class: 'privacy-state' },
      chat.erased && erasedBadge(),
      held && h('span', { class: 'hold-badge', text: t('legalHoldBadge') }),
      h('span', { class: 'privacy-note', id: 'privacy-note', text: t(held ? 'legalHoldOn' : 'legalHoldOff') })),
    // An erased chat takes no further command, a hold included: nothing left to do.
    !chat.erased && h('div', { class: 'privacy-actions' },
      h('button', {
        type: 'button',
        class: 'button small',
        dataset: { key: 'legal-hold' },
        'aria-describedby': 'privacy-note',
        onclick: toggleHold,
      }, t(held ? 'liftLegalHold' : 'placeLegalHold')),
      admin && !held && h('button', {
        type: 'button',
        class: 'button small danger',
        dataset: { key: 'erase-chat' },
        onclick: erase,
      }, t('eraseChat')),
      admin && held && h('span', { class: 'muted privacy-note', text: t('eraseHeld') }))));
  // The control that had the focus can be gone (erased: no more actions): the focus stays in
  // the bar, which says what happened, rather than falling out of the dialog.
  if (hadFocus && !root.contains(document.activeElement)) {
    root.tabIndex = -1;
    root.focus();
  }
}

// ---- administration: retention per queue ---------------------------------------------------

/**
 * Per queue: after how many days from its end a chat's personal data is erased by the
 * retention job, or never. The PATCH carries the queue's other settings as they are: the
 * endpoint sets the whole of them, so sending the retention alone would reset the rest.
 */
export function retentionSection(queues, { notify, section }) {
  return section('retention',
    h('p', { class: 'muted section-lead', text: t('retentionLead') }),
    h('div', { class: 'retention-list' }, queues.map((queue) => retentionForm(queue, notify))));
}

let retentionForms = 0;

function retentionForm(queue, notify) {
  retentionForms += 1;
  const id = `retention-${retentionForms}`;
  const days = queue.transcript_retention_days;
  const forever = days === null;
  const input = h('input', {
    id: `${id}-days`, name: 'days', type: 'number', min: '1', max: '3650', step: '1', inputmode: 'numeric',
    value: Number.isInteger(days) ? String(days) : undefined,
    disabled: forever,
    'aria-describedby': `${id}-error`,
  });
  const keep = h('input', { id: `${id}-forever`, name: 'forever', type: 'checkbox', checked: forever });
  keep.addEventListener('change', () => {
    input.disabled = keep.checked;
    if (!keep.checked) input.focus();
  });
  const problem = h('span', { class: 'field-error', id: `${id}-error`, role: 'alert' });
  const save = async (event) => {
    event.preventDefault();
    problem.textContent = '';
    input.removeAttribute('aria-invalid');
    let value = null;
    if (!keep.checked) {
      value = Number(input.value);
      if (input.value.trim() === '' || !Number.isInteger(value) || value < 1 || value > 3650) {
        problem.textContent = t('retentionRange');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
    }
    try {
      const saved = await api(`/queues/${queue.queue_id}`, {
        method: 'PATCH',
        body: {
          no_agent_notice_after_seconds: queue.no_agent_notice_after_seconds ?? null,
          overflow_queue_id: queue.overflow_queue_id ?? null,
          service_level_seconds: queue.service_level_seconds ?? null,
          transcript_retention_days: value,
        },
      });
      Object.assign(queue, saved);
      notify(t('saved'));
    } catch (error) {
      const field = error.problem?.errors?.find((e) => e.key === 'transcript_retention_days');
      problem.textContent = field?.problem ?? problemText(error);
    }
  };
  return h('form', { class: 'retention-form', novalidate: true, onsubmit: save, dataset: { queueId: queue.queue_id } },
    h('fieldset', {},
      h('legend', { text: localName(queue) }),
      h('div', { class: 'form-row' }, h('label', { for: input.id, text: t('retentionDays') }), input),
      h('div', { class: 'form-row checkbox inline' }, keep, h('label', { for: keep.id, text: t('keepForever') })),
      h('button', { type: 'submit', class: 'button', 'aria-label': t('saveRetentionFor', { queue: localName(queue) }) }, t('save')),
      problem));
}

// ---- administration: erasure on request ----------------------------------------------------

/** The last answer, kept across re-renders of the module (a directory event redraws it). */
let lastResult = null;

const ERASE_BY = [
  { kind: 'email', label: 'eraseByEmail', type: 'email', button: 'eraseEmailButton', title: 'eraseEmailTitle', text: 'eraseRequestText' },
  { kind: 'phone', label: 'eraseByPhone', type: 'tel', button: 'erasePhoneButton', title: 'erasePhoneTitle', text: 'eraseRequestText' },
  { kind: 'chat_id', label: 'eraseByChat', type: 'text', button: 'eraseChatButton', title: 'eraseChatIdTitle', text: 'eraseChatIdText' },
];

/**
 * Erasure on request (GDPR art. 17): by the e-mail or phone the customer gave in the pre-chat
 * form, or one chat by id. The server erases every matching ended chat and names the ones it
 * passed by (still going on, under legal hold).
 */
export function erasureSection({ section }) {
  const results = h('div', { class: 'erasure-results', 'aria-live': 'polite' });
  if (lastResult) fill(results, renderResult(lastResult));
  return section('erasure',
    h('p', { class: 'muted section-lead', text: t('erasureLead') }),
    h('div', { class: 'erasure-forms' }, ERASE_BY.map((by) => erasureForm(by, results))),
    results);
}

function erasureForm(by, results) {
  const id = `erase-by-${by.kind}`;
  const input = h('input', {
    id, name: by.kind, type: by.type, required: true, autocomplete: 'off', 'aria-describedby': `${id}-error`,
  });
  const problem = h('span', { class: 'field-error', id: `${id}-error`, role: 'alert' });
  const submit = async (event) => {
    event.preventDefault();
    problem.textContent = '';
    const value = input.value.trim();
    if (value === '') {
      input.focus();
      return;
    }
    const confirmed = await confirmAction({
      title: t(by.title, { value }),
      text: t(by.text, { value }),
      confirm: t('confirmErase'),
    });
    if (!confirmed) return;
    try {
      const answer = await post('/erasure-requests', { [by.kind]: value });
      lastResult = { value, ...answer };
      fill(results, renderResult(lastResult));
      input.value = '';
    } catch (error) {
      const field = error.problem?.errors?.find((e) => e.key === by.kind);
      problem.textContent = field?.problem ?? problemText(error);
    }
  };
  return h('form', { class: 'admin-form erasure-form', novalidate: true, onsubmit: submit },
    h('div', { class: 'form-row' }, h('label', { for: id, text: t(by.label) }), input, problem),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button danger' }, t(by.button))));
}

/** How many messages an erasure emptied: a count, or the list of them. */
function messageCount(messages) {
  return Array.isArray(messages) ? messages.length : (messages ?? 0);
}

function skippedReason(reason) {
  const key = `skipped_${reason}`;
  const text = t(key);
  return text === key ? reason : text;
}

function renderResult({ value, erased = [], skipped = [] }) {
  return h('div', { class: 'erasure-result' },
    h('h3', { text: t('erasureResult', { value }) }),
    erased.length === 0 && skipped.length === 0
      ? h('p', { class: 'muted', text: t('erasureNothing') })
      : [
        h('p', { class: 'result-count', dataset: { result: 'erased' }, text: t('erasedCount', { n: erased.length }) }),
        erased.length > 0 && h('ul', { class: 'result-list erased-list' }, erased.map((e) => h('li', {
          dataset: { chatId: e.chat_id },
          text: t('erasedItem', { chat: e.chat_id, n: messageCount(e.messages), time: formatTime(e.erased_at) }),
        }))),
        skipped.length > 0 && [
          h('p', { class: 'result-count', dataset: { result: 'skipped' }, text: t('skippedCount', { n: skipped.length }) }),
          h('ul', { class: 'result-list skipped-list' }, skipped.map((s) => h('li', {
            dataset: { chatId: s.chat_id, reason: s.reason },
            text: t('skippedItem', { chat: s.chat_id, reason: skippedReason(s.reason) }),
          }))),
        ],
      ]);
}
