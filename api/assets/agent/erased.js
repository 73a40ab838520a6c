// What an erased chat looks like. After erasure (issue 17) the server answers the chat's facts
// with its personal fields gone: decoded events carry `null` for a name, an answer list or a
// message text, read-model rows carry `""` and `[]`. The console never shows either as such:
// every place that prints one of them goes through here and gets a clear, translated
// placeholder instead.

import { h } from './dom.js';
import { t } from './i18n.js';

/** A customer name for display: the placeholder when it was erased. */
export function customerName(name) {
  return name === null || name === undefined || name === '' ? t('erasedName') : name;
}

/** Whether a name is the erased one: for styling the placeholder apart from real names. */
export function nameErased(name) {
  return name === null || name === undefined || name === '';
}

/**
 * A message's text, or the placeholder. A notice has no text by design (it is worded here);
 * any other message without text can only have been erased: the domain refuses empty ones.
 */
export function messageErased(message) {
  return !message.notice && (message.text === null || message.text === undefined || message.text === '');
}

/** A text node for a name, marked up as a placeholder when erased. */
export function nameNode(name) {
  return nameErased(name)
    ? h('span', { class: 'erased-placeholder', text: t('erasedName') })
    : name;
}

/** The badge an erased chat wears in lists, headers and dialogs. */
export function erasedBadge() {
  return h('span', { class: 'erased-badge', text: t('erasedBadge') });
}

/**
 * Drops a loaded chat's personal data in place, as the server has done: what a `ChatErased`
 * event means for a console that still holds the transcript. Numbers and times stay.
 */
export function dropPersonal(chat) {
  chat.erased = true;
  chat.customer_name = '';
  chat.answers = [];
  for (const message of chat.transcript ?? []) {
    if (!message.notice) message.text = '';
  }
  // Staff's notes are personal data under the chat's key too.
  for (const note of chat.notes ?? []) note.text = '';
}

/**
 * A decoded event's payload for display in the audit trail: its personal fields that read
 * as `null` (erased) show the placeholder, not `null`. Other fields may be null for real
 * (no category, no agent) and stay as they are.
 */
const PERSONAL_FIELDS = new Set(['customer_name', 'answers', 'text']);

export function displayPayload(payload) {
  return JSON.stringify(payload, (key, value) => (
    PERSONAL_FIELDS.has(key) && value === null ? `‹${t('erasedBadge').toLowerCase()}›` : value), 2);
}
