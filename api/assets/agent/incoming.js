// Seed item 1, the incoming chats tab: the chats waiting in the agent's queues (every queue
// for supervisors and administrators), oldest first, each with a pick-up button; in a surge
// the oldest page of them, with how many wait in all. And the other work that waits for an
// agent: the messages customers left while a queue was closed, each with its answer box.

import { h, fill, rerender } from './dom.js';
import { t, formatDate, formatTime, formatSince } from './i18n.js';
import { chatIcon } from './icons.js';
import { customerName, nameNode } from './erased.js';

/**
 * `queueName(id)` and `categoryName(id)` name them in the console's language; a category
 * removed since the chat came in keeps the name the server gave the row.
 */
export function renderIncoming(root, waiting, {
  onPickUp, queueName, categoryName, total = waiting.length,
}) {
  if (waiting.length === 0) {
    fill(root, h('p', { class: 'empty-state', text: t('incomingEmpty') }));
    return;
  }
  const rows = waiting.map((chat) => h('tr', { dataset: { chatId: chat.chat_id } },
    h('td', { class: 'customer-cell' }, chat.customer_name),
    h('td', {}, h('time', { datetime: chat.requested_at, text: formatTime(chat.requested_at) })),
    h('td', { class: 'waited', dataset: { since: chat.queued_at } }, formatSince(chat.queued_at)),
    h('td', {}, queueName(chat.queue_id)),
    h('td', {}, categoryName(chat.category_id) ?? chat.category_name ?? '–'),
    h('td', { class: 'action-cell' },
      h('button', {
        class: 'icon-button pick-up',
        type: 'button',
        dataset: { key: chat.chat_id },
        'aria-label': t('pickUp', { name: chat.customer_name }),
        title: t('pickUp', { name: chat.customer_name }),
        onclick: (event) => onPickUp(chat, event.currentTarget),
      }, chatIcon())),
  ));
  rerender(root, () => fill(root, h('table', { class: 'data-table incoming-table' },
    h('thead', {}, h('tr', {},
      ['customer', 'time', 'waited', 'queue', 'category'].map((key) => h('th', { scope: 'col', text: t(key) })),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', text: t('actions') })))),
    h('tbody', {}, rows)),
  total > waiting.length
    ? h('p', { class: 'incoming-page', text: t('incomingPage', { shown: waiting.length, total }) })
    : null));
}


// ---- left messages -----------------------------------------------------------------------

/**
 * The left messages, waiting (`answered` false: each with an answer box) or answered (with
 * the answer, who gave it and whether the mail went out). Every text is the customer's or a
 * colleague's and is only ever set as text. `drafts`, `errors` and `sending` are by chat id;
 * `onDraft(row, text)` keeps what is typed across live re-renders, `onAnswer(row)` sends it.
 */
export function renderLeftMessages(root, rows, options) {
  const { answered } = options;
  if (rows.length === 0) {
    fill(root, h('p', { class: 'empty-state', text: t(answered ? 'leftAnsweredEmpty' : 'leftEmpty') }));
    return;
  }
  rerender(root, () => fill(root, h('ol', { class: 'left-list' },
    rows.map((row) => h('li', { class: 'left-message', dataset: { chatId: row.chat_id } },
      leftHead(row, options),
      leftText(row.text),
      answered ? answerShown(row, options) : answerForm(row, options))))));
}

function leftHead(row, { queueName }) {
  return h('header', { class: 'left-head' },
    h('h2', { class: 'left-name' }, nameNode(row.customer_name)),
    h('p', { class: 'left-meta' },
      h('span', { class: 'left-email', text: row.email }),
      h('span', { text: queueName(row.queue_id) }),
      h('time', { datetime: row.left_at, text: t('leftAt', { time: formatDate(row.left_at) }) })));
}

/** A customer's or an agent's words, line breaks kept; an erased one says so. */
function leftText(text) {
  return text
    ? h('p', { class: 'left-text', text })
    : h('p', { class: 'left-text erased-placeholder', text: t('erasedText') });
}

function answerForm(row, { drafts, errors, sending, onDraft, onAnswer }) {
  const id = `answer-${row.chat_id}`;
  const error = h('p', { class: 'form-error', id: `${id}-error`, role: 'alert', text: errors.get(row.chat_id) ?? '' });
  const box = h('textarea', {
    id,
    rows: '4',
    maxlength: '4000',
    dataset: { key: `answer:${row.chat_id}` },
    'aria-describedby': error.id,
    'aria-invalid': errors.has(row.chat_id) ? 'true' : undefined,
    oninput: (event) => {
      // Typing fixes what the error said; the box itself is never rebuilt while in use.
      error.textContent = '';
      event.target.removeAttribute('aria-invalid');
      onDraft(row, event.target.value);
    },
  });
  box.value = drafts.get(row.chat_id) ?? '';
  return h('form', {
    class: 'answer-form',
    onsubmit: (event) => {
      event.preventDefault();
      onAnswer(row);
    },
  },
  h('label', { for: id, text: t('answerTo', { name: customerName(row.customer_name) }) }),
  box,
  error,
  h('button', {
    type: 'submit',
    class: 'button primary',
    dataset: { key: `send:${row.chat_id}` },
    disabled: sending.has(row.chat_id),
    text: t('sendAnswer'),
  }));
}

/** Where the answer stands: mailed, refused by the customer's mail system, or on its way. */
function mailState(row) {
  if (row.undeliverable_at) return h('p', { class: 'mail-state', dataset: { state: 'undeliverable' }, text: t('mailUndeliverable') });
  if (row.mailed_at) return h('p', { class: 'mail-state', dataset: { state: 'mailed' }, text: t('mailSent', { time: formatDate(row.mailed_at) }) });
  return h('p', { class: 'mail-state', dataset: { state: 'pending' }, text: t('mailPending') });
}

function answerShown(row, { userName }) {
  return h('div', { class: 'left-answer' },
    h('p', { class: 'left-answered-by' },
      t('answeredBy', { name: userName(row.answered_by) ?? t('someColleague'), time: formatDate(row.answered_at) })),
    leftText(row.answer),
    mailState(row));
}
