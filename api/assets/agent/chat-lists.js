// The agent window's lists (seed, agent window items 1 and 2): the chats routing offers the
// agent, each with Accept, Decline and the seconds left; the chats a colleague's note named
// the agent in; the ongoing chats, each with a badge counting the customer's messages not yet
// read; and this session's ended chats, marked where one still owes the wrap-up code its
// queue requires.

import { h, fill, rerender } from './dom.js';
import { t, formatTime } from './i18n.js';
import { nameNode } from './erased.js';

export function renderChatLists({
  offered = [], invited = [], active, passive,
}, selected, roots) {
  const { onSelect, offeredRoot, activeRoot, passiveRoot } = roots;
  renderOffered(offeredRoot, offered, roots);
  if (roots.invitedRoot) renderInvited(roots.invitedRoot, invited, roots);
  renderList(activeRoot, active, selected, onSelect, 'noActive');
  renderList(passiveRoot, passive, selected, onSelect, 'noPassive');
}

/** Seconds until an offer moves on, never below zero. */
export function secondsLeft(chat, now = Date.now()) {
  return Math.max(0, Math.ceil((Date.parse(chat.offer_expires_at) - now) / 1000));
}

function renderOffered(root, offered, { onAccept, onDecline }) {
  root.closest('#offered-section').hidden = offered.length === 0;
  rerender(root, () => fill(root, offered.map((chat) => h('li', { class: 'offer', dataset: { key: chat.chat_id } },
    h('span', { class: 'chat-item-name' }, nameNode(chat.customer_name)),
    h('span', {
      class: 'offer-left',
      dataset: { expires: chat.offer_expires_at },
      text: t('offerEndsIn', { n: secondsLeft(chat) }),
    }),
    h('span', { class: 'offer-actions' },
      h('button', { type: 'button', class: 'button primary', text: t('accept'), onclick: () => onAccept(chat.chat_id) }),
      h('button', { type: 'button', class: 'button ghost', text: t('decline'), onclick: () => onDecline(chat.chat_id) }))))));
}

/** The chats a colleague invited the agent into: join (accept) or decline. */
function renderInvited(root, invited, { onAnswerInvitation }) {
  root.closest('#invited-section').hidden = invited.length === 0;
  rerender(root, () => fill(root, invited.map((chat) => h('li', { class: 'offer-like invitation', dataset: { key: `invited:${chat.chat_id}`, chatId: chat.chat_id } },
    h('span', { class: 'chat-item-name' }, nameNode(chat.customer_name)),
    h('span', { class: 'offer-actions' },
      h('button', { type: 'button', class: 'button primary', text: t('accept'), onclick: () => onAnswerInvitation(chat.chat_id, true) }),
      h('button', { type: 'button', class: 'button ghost', text: t('decline'), onclick: () => onAnswerInvitation(chat.chat_id, false) }))))));
}

/** Counts the offers down in place, without re-rendering the buttons under the pointer. */
export function tickOffers(root) {
  for (const left of root.querySelectorAll('.offer-left')) {
    left.textContent = t('offerEndsIn', { n: secondsLeft({ offer_expires_at: left.dataset.expires }) });
  }
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
    chat.code_owed ? h('span', { class: 'owed-badge', text: t('codeOwed') }) : null,
    chat.unread > 0 && h('span', {
      class: 'unread-badge',
      'aria-label': t('unread', { n: chat.unread }),
      title: t('unread', { n: chat.unread }),
      text: String(chat.unread),
    }),
    h('span', { class: 'chat-item-meta', text: formatTime(chat.last_message_at ?? chat.since) }))))));
}

/** All unread messages across the ongoing chats: the webchat icon's badge (the tab title counts them too). */
export function totalUnread(active) {
  return active.reduce((sum, chat) => sum + chat.unread, 0);
}

/** The chats a colleague's note named the agent in, not opened since; one opens the chat. */
export function renderMentions(root, mentions, { onSelect }) {
  root.closest('#mentions-section').hidden = mentions.length === 0;
  rerender(root, () => fill(root, mentions.map((mention) => h('li', {},
    h('button', {
      type: 'button',
      class: 'chat-item mention-item',
      dataset: { key: `mention:${mention.chat_id}`, chatId: mention.chat_id },
      onclick: () => onSelect(mention.chat_id),
    },
    h('span', { class: 'chat-item-name' }, nameNode(mention.customer_name)),
    h('span', { class: 'chat-item-meta', text: t('mentionBy', { name: mention.by_name }) }))))));
}
