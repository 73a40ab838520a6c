// Seed, agent window item 3: who the customer is, where the chat came in, and what they
// entered in the pre-chat form; once it has ended, what it was wrapped up with and how the
// customer rated it; for a returning customer, their earlier chats.

import { h, fill } from './dom.js';
import { t, formatTime, localName } from './i18n.js';
import { customerName } from './erased.js';
import { earlierChats } from './earlier-chats.js';

/**
 * `codeLabel(queueId, code)` words the chat's wrap-up codes; `earlier` holds the customer's
 * earlier chats and what `earlierChats` needs to show them.
 */
export function renderCustomerInfo(root, chat, { directory, codeLabel, earlier }) {
  const queue = directory.queues.find((q) => q.queue_id === chat.queue_id);
  const category = directory.categories.find((c) => c.category_id === chat.category_id);
  const rows = [
    ['name', customerName(chat.customer_name)],
    ['queue', localName(queue) ?? '–'],
    ['category', localName(category) ?? '–'],
    ['started', formatTime(chat.requested_at)],
    ['agent', chat.agent_name ?? '–'],
    ['transfers', String(chat.transfers)],
    ...wrapUpRows(chat, codeLabel),
    ...ratingRows(chat),
  ].map(([key, value]) => [t(key), value]);
  const answers = (chat.answers ?? []).map((answer) => [answer.label, answer.value ?? t('erasedName')]);
  let more;
  if (chat.erased || chat.answers === null) more = h('p', { class: 'muted erased-placeholder', text: t('erasedAnswers') });
  else if (answers.length > 0) more = definitions(answers, 'answers');
  else more = h('p', { class: 'muted', text: t('noAnswers') });
  fill(root, h('h3', { text: t('customerInfo') }), definitions(rows), more, earlierChats(earlier.rows, earlier));
}

/** The customer's rating once given, as stars that say their score aloud, and their comment. */
function ratingRows({ rating, rating_comment: comment }) {
  if (!rating) return [];
  const stars = h('span', { class: 'rating-stars', role: 'img', 'aria-label': t('ratingStars', { n: rating }) },
    h('span', { class: 'stars', 'aria-hidden': 'true', text: '★'.repeat(rating) + '☆'.repeat(5 - rating) }),
    ` ${rating}/5`);
  return [['rating', stars], comment && ['ratingComment', comment]].filter(Boolean);
}

/** What the chat was wrapped up with: staff only, and only once it has been. */
function wrapUpRows({ wrap_up: wrapUp, queue_id: queueId }, codeLabel) {
  if (!wrapUp) return [];
  return [
    wrapUp.codes.length > 0 && ['wrapUpCodes', wrapUp.codes.map((code) => codeLabel(queueId, code)).join(', ')],
    wrapUp.note && ['wrapUpNote', wrapUp.note],
  ].filter(Boolean);
}

function definitions(pairs, extraClass = '') {
  return h('dl', { class: `definitions ${extraClass}` },
    pairs.map(([term, value]) => h('div', {}, h('dt', { text: term }), h('dd', {}, value))));
}
