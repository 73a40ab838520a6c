// Seed item 1, the incoming chats tab: the chats waiting in the agent's queues (every queue
// for supervisors and administrators), oldest first, each with a pick-up button; in a surge
// the oldest page of them, with how many wait in all.

import { h, fill, rerender } from './dom.js';
import { t, formatTime, formatSince } from './i18n.js';
import { chatIcon } from './icons.js';

export function renderIncoming(root, waiting, { onPickUp, total = waiting.length }) {
  if (waiting.length === 0) {
    fill(root, h('p', { class: 'empty-state', text: t('incomingEmpty') }));
    return;
  }
  const rows = waiting.map((chat) => h('tr', { dataset: { chatId: chat.chat_id } },
    h('td', { class: 'customer-cell' }, chat.customer_name),
    h('td', {}, h('time', { datetime: chat.requested_at, text: formatTime(chat.requested_at) })),
    h('td', { class: 'waited', dataset: { since: chat.queued_at } }, formatSince(chat.queued_at)),
    h('td', {}, chat.queue_name),
    h('td', {}, chat.category_name ?? '–'),
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
      h('th', { scope: 'col' }))),
    h('tbody', {}, rows)),
  total > waiting.length
    ? h('p', { class: 'incoming-page', text: t('incomingPage', { shown: waiting.length, total }) })
    : null));
}

