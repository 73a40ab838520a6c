// The selected chat (seed, agent window items 4, 5, 7 and 8): its transcript, the input
// field, End chat, Transfer and Hand over. Message text is only ever set with textContent
// (see dom.js).

import { h, fill } from './dom.js';
import { t, formatTime } from './i18n.js';
import { customerName, erasedBadge, messageErased, nameErased } from './erased.js';

/** Whether the agent can still act on the chat: it is ongoing and theirs. */
export function isMine(chat, me) {
  return chat.status === 'assigned' && chat.agent_id === me.user_id;
}

function authorName(message, chat, me) {
  switch (message.author_kind) {
    case 'customer': return customerName(chat.customer_name);
    case 'agent':
      if (message.author_id === me.user_id) return t('you');
      return message.author_id === chat.agent_id && chat.agent_name ? chat.agent_name : t('agent');
    default: return t('system');
  }
}

function closingNote(chat) {
  if (chat.status === 'ended' || chat.status === 'abandoned') {
    return chat.end_reason === 'customer' || chat.status === 'abandoned'
      ? t('customerLeft', { name: customerName(chat.customer_name) })
      : t('chatClosed');
  }
  return null;
}

export function renderConversation(els, chat, me) {
  fill(els.title, customerName(chat.customer_name));
  els.title.classList.toggle('erased-placeholder', nameErased(chat.customer_name));
  els.erased?.replaceChildren(...(chat.erased || nameErased(chat.customer_name) ? [erasedBadge()] : []));
  els.status.textContent = t(`status_${chat.status}`);
  els.status.dataset.status = chat.status;
  const mine = isMine(chat, me);
  els.actions.hidden = !mine;
  els.composer.hidden = !mine;
  renderTranscript(els.transcript, chat, me);
}

export function renderTranscript(root, chat, me) {
  const stuckToBottom = root.scrollHeight - root.scrollTop - root.clientHeight < 40;
  const note = closingNote(chat);
  fill(root,
    chat.transcript.map((message) => h('li', {
      class: `message from-${message.author_kind}${message.author_id === me.user_id ? ' own' : ''}`,
      dataset: { number: String(message.number) },
    },
    h('div', { class: 'message-meta' },
      h('span', { class: 'message-author', text: authorName(message, chat, me) }),
      h('time', { datetime: message.sent_at, text: formatTime(message.sent_at) })),
    messageErased(message)
      ? h('p', { class: 'message-text erased-placeholder', text: t('erasedText') })
      : h('p', { class: 'message-text', text: message.notice ? t(`notice_${message.notice}`) : message.text }))),
    note && h('li', { class: 'message-note', text: note }));
  if (stuckToBottom) root.scrollTop = root.scrollHeight;
}

/** The transfer select: every queue, then every category (with its queue). */
export function fillTransferTargets(select, { queues, categories }) {
  const queueName = new Map(queues.map((q) => [q.queue_id, q.name]));
  fill(select,
    h('option', { value: '', text: t('chooseTarget') }),
    h('optgroup', { label: t('queuesGroup') },
      queues.map((q) => h('option', { value: `queue:${q.queue_id}`, text: q.name }))),
    h('optgroup', { label: t('categoriesGroup') },
      categories.map((c) => h('option', {
        value: `category:${c.category_id}`,
        text: `${c.name} (${queueName.get(c.queue_id) ?? ''})`,
      }))));
}

/** The request body for the select's value (`queue:ID` or `category:ID`). */
export function transferTarget(value) {
  const [kind, id] = value.split(':');
  return kind === 'queue' ? { queue_id: id } : { category_id: id };
}

/**
 * Of a queue's roster (`GET /queues/{id}/agents`), those a chat can be handed to: logged in,
 * not paused, and not `me`. The server has the last word (wrap-up, room for one more).
 */
export function availableColleagues(roster, me) {
  return roster.filter((entry) => entry.logged_in && !entry.paused_reason && entry.user_id !== me.user_id);
}

/** A labelled select of `colleagues`, with how many chats each has now; empty: none chosen. */
export function colleagueField(colleagues, id) {
  const select = h('select', { id, required: true },
    h('option', { value: '', text: t('chooseColleague') }),
    colleagues.map((c) => h('option', {
      value: c.user_id,
      text: t('colleagueOption', { name: c.display_name, n: c.active_chats }),
    })));
  const field = h('div', { class: 'form-row' }, h('label', { for: id, text: t('colleague') }), select);
  return { field, select };
}
