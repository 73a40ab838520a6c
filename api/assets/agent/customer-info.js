// Seed, agent window item 3: who the customer is, where the chat came in, and what they
// entered in the pre-chat form.

import { h, fill } from './dom.js';
import { t, formatTime } from './i18n.js';

export function renderCustomerInfo(root, chat, directory) {
  const queue = directory.queues.find((q) => q.queue_id === chat.queue_id);
  const category = directory.categories.find((c) => c.category_id === chat.category_id);
  const rows = [
    ['name', chat.customer_name],
    ['queue', queue?.name ?? '–'],
    ['category', category?.name ?? '–'],
    ['started', formatTime(chat.requested_at)],
    ['agent', chat.agent_name ?? '–'],
    ['transfers', String(chat.transfers)],
  ].map(([key, value]) => [t(key), value]);
  const answers = chat.answers.map((answer) => [answer.label, answer.value]);
  fill(root,
    h('h3', { text: t('customerInfo') }),
    definitions(rows),
    answers.length > 0 ? definitions(answers, 'answers') : h('p', { class: 'muted', text: t('noAnswers') }));
}

function definitions(pairs, extraClass = '') {
  return h('dl', { class: `definitions ${extraClass}` },
    pairs.map(([term, value]) => h('div', {}, h('dt', { text: term }), h('dd', { text: value }))));
}
