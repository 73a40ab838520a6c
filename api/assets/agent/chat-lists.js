// The agent window's lists (seed, agent window items 1 and 2): the ongoing chats, each with a
// badge counting the customer's messages not yet read, and this session's ended chats.

import { h, fill, rerender } from './dom.js';
import { t, formatTime } from './i18n.js';
import { nameNode } from './erased.js';

export function renderChatLists({ active, passive }, selected, { onSelect, activeRoot, passiveRoot }) {
  renderList(activeRoot, active, selected, onSelect, 'noActive');
  renderList(passiveRoot, passive, selected, onSelect, 'noPassive');
}

function renderList(root, chats, selected, onSelect, emptyKey) {
  if (chats.length === 0) {
    fill(root, h('li', { class: 'list-empty', text: t(emptyKey) }));
    return;
  }
  rerender(root, () => fill(root, chats.map((chat) => h('li', {},
    h('button', {
      type: 'button',
      class: 'chat-item',
      dataset: { key: chat.chat_id, chatId: chat.chat_id },
      'aria-current': chat.chat_id === selected ? 'true' : undefined,
      onclick: () => onSelect(chat.chat_id),
    },
    h('span', { class: 'chat-item-name' }, nameNode(chat.customer_name)),
    chat.unread > 0 && h('span', {
      class: 'unread-badge',
      'aria-label': t('unread', { n: chat.unread }),
      title: t('unread', { n: chat.unread }),
      text: String(chat.unread),
    }),
    h('span', { class: 'chat-item-meta', text: formatTime(chat.last_message_at ?? chat.since) }))))));
}

/** All unread messages across the ongoing chats: the webchat icon's badge and the tab title. */
export function totalUnread(active) {
  return active.reduce((sum, chat) => sum + chat.unread, 0);
}
