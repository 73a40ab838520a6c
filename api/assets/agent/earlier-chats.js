// A returning customer's earlier chats (GET /chats/{id}/earlier) in the customer panel: the
// company's site vouched for the same signed-in customer in each, so the agent sees what came
// before without asking. Supervisors open one in the audit dialog, the console's read-only view.

import { h } from './dom.js';
import { formatDate, t } from './i18n.js';
import { erasedBadge } from './erased.js';

/**
 * `rows`: the earlier chats, newest first; nothing to show for an empty list (a customer the
 * site did not vouch for has none). `onAudit(row)`: given to those who may audit.
 */
export function earlierChats(rows, { queueName, userName, onAudit }) {
  if (!rows?.length) return null;
  return h('section', { class: 'earlier-chats', 'aria-labelledby': 'earlier-chats-title' },
    h('h4', { id: 'earlier-chats-title', text: t('earlierChats') }),
    h('p', { class: 'muted earlier-lead', text: t('earlierChatsLead') }),
    h('ul', { class: 'earlier-list' }, rows.map((row) => {
      const when = formatDate(row.requested_at);
      const who = [row.agent_id && userName(row.agent_id), queueName(row.queue_id)].filter(Boolean).join(' · ');
      return h('li', { class: 'earlier-chat', dataset: { chatId: row.chat_id } },
        h('div', { class: 'earlier-head' },
          h('time', { datetime: row.requested_at, text: when }),
          h('span', { class: 'status-pill', dataset: { status: row.status }, text: t(`status_${row.status}`) }),
          row.erased_at && erasedBadge()),
        h('div', { class: 'earlier-meta muted' },
          h('span', { text: who }),
          h('span', { text: t('earlierMessages', { n: row.messages ?? 0 }) })),
        onAudit && h('button', {
          type: 'button',
          class: 'button small',
          'aria-label': t('earlierAuditOf', { when }),
          onclick: () => onAudit(row),
        }, t('audit')));
    })));
}
