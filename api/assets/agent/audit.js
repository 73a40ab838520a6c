// Supervisors: a chat's audit trail (GET /chats/{id}/audit), every event with when, what, who
// and in which request, and its replay: the chat as it stood after any one of those events
// (GET /chats/{id}?at=). Shown in a modal dialog; all text goes in with textContent. An ended
// chat's legal hold and erasure are done from here too (privacy.js).

import { api } from './api.js';
import { h, fill, $ } from './dom.js';
import { t, formatTime, formatClock } from './i18n.js';
import { renderTranscript } from './conversation.js';
import { customerName, displayPayload, erasedBadge, nameErased, nameNode } from './erased.js';
import { renderChatPrivacy } from './privacy.js';

const dialog = () => $('#audit-dialog');

/** The chat history of today (GET /chats/history), each with its Audit button. */
export function renderHistory(root, rows, { queueName, onAudit }) {
  if (rows.length === 0) {
    fill(root, h('p', { class: 'empty-state', text: t('historyEmpty') }));
    return;
  }
  fill(root, h('table', { class: 'data-table compact history-table' },
    h('thead', {}, h('tr', {},
      ['customer', 'started', 'queue', 'statusLabel', 'messagesCount', ''].map((key) => h('th', { scope: 'col', text: key ? t(key) : '' })))),
    h('tbody', {}, rows.map((row) => h('tr', { dataset: { chatId: row.chat_id } },
      h('td', { class: 'customer-cell' }, nameNode(row.customer_name),
        (row.erased ?? nameErased(row.customer_name)) && [' ', erasedBadge()],
        row.legal_hold ? [' ', h('span', { class: 'hold-badge', text: t('legalHoldBadge') })] : null),
      h('td', {}, h('time', { datetime: row.requested_at, text: formatTime(row.requested_at) })),
      h('td', { text: queueName(row.queue_id) }),
      h('td', {}, h('span', { class: 'status-pill', dataset: { status: row.status }, text: t(`status_${row.status}`) })),
      h('td', { class: 'number-cell', text: String(row.messages ?? 0) }),
      h('td', { class: 'action-cell' }, h('button', {
        type: 'button',
        class: 'button small',
        'aria-label': t('auditOf', { name: customerName(row.customer_name) }),
        onclick: () => onAudit(row.chat_id, row.customer_name),
      }, t('audit'))))))));
}

function who(actor, names) {
  if (!actor) return '–';
  switch (actor.kind) {
    case 'customer': return t('customer');
    case 'routing': return t('actorRouting');
    case 'system': return t('system');
    case 'staff': {
      const name = names(actor.user_id) ?? actor.user_id ?? '';
      return actor.role ? `${name} (${t(`role_${actor.role}`)})` : name;
    }
    default: return actor.kind ?? '–';
  }
}

/** The chat the dialog shows, and how it was opened: live events about it refresh it. */
let shown = null;

/** Opens the dialog again on the chat it shows, if it shows `chatId`: its events changed. */
export function refreshAudit(chatId) {
  if (shown?.chatId === chatId && dialog().open) {
    openAudit(shown.chatId, shown.title, shown.options).catch(shown.options.failed);
  }
}

/**
 * Opens the audit dialog on a chat. `names(userId)`: a staff member's display name;
 * `queueName(queueId)`: a queue's; `me`: the signed-in user (for the transcript's "You");
 * `notify(text, kind)`: the console's toast; `onChanged(chat)`: a hold or erasure went through.
 */
export async function openAudit(chatId, title, options) {
  const { names, queueName, me, failed } = options;
  const box = dialog();
  shown = { chatId, title, options };
  $('#audit-title').textContent = t('auditTitle', { name: customerName(title) });
  fill($('#audit-trail'), h('p', { class: 'muted', text: t('loading') }));
  fill($('#replay-state'));
  fill($('#replay-transcript'));
  if (!box.open) box.showModal();
  let entries;
  let current;
  try {
    [entries, current] = await Promise.all([api(`/chats/${chatId}/audit`), api(`/chats/${chatId}`)]);
  } catch (error) {
    fill($('#audit-trail'), h('p', { class: 'form-error', text: t('failed', { detail: error.message }) }));
    return;
  }
  if (shown?.chatId !== chatId) return;
  $('#audit-title').textContent = t('auditTitle', { name: customerName(current.customer_name) });
  renderChatPrivacy($('#audit-privacy'), current, {
    me,
    notify: options.notify ?? (() => {}),
    onChanged: (chat) => {
      options.onChanged?.(chat);
      refreshAudit(chat.chat_id);
    },
  });
  const slider = $('#replay-slider');
  slider.min = '0';
  slider.max = String(Math.max(0, entries.length - 1));
  slider.value = slider.max;
  let request = 0;
  const choose = async (index) => {
    const entry = entries[index];
    if (!entry) return;
    slider.value = String(index);
    for (const row of $('#audit-trail').querySelectorAll('tbody tr')) {
      row.setAttribute('aria-current', String(row.dataset.index === String(index)));
    }
    $('#replay-at').textContent = t('replayAt', {
      time: formatClock(new Date(entry.recorded_at), true),
      type: entry.type,
    });
    const mine = ++request;
    try {
      const past = await api(`/chats/${chatId}?at=${encodeURIComponent(endOfInstant(entry.recorded_at))}`);
      if (mine === request) renderReplay(past, { names, queueName, me });
    } catch (error) {
      if (mine === request) failed(error);
    }
  };
  slider.oninput = () => choose(Number(slider.value));
  fill($('#audit-trail'), h('table', { class: 'data-table compact audit-table' },
    h('thead', {}, h('tr', {},
      ['time', 'eventType', 'who', 'requestId'].map((key) => h('th', { scope: 'col', text: t(key) })))),
    h('tbody', {}, entries.map((entry, index) => h('tr', { dataset: { index: String(index), type: entry.type } },
      h('td', {}, h('button', {
        type: 'button',
        class: 'link-button',
        title: t('replayHere'),
        onclick: () => choose(index),
      }, h('time', { datetime: entry.recorded_at ?? '', text: formatClock(new Date(entry.recorded_at), true) }))),
      h('td', { class: 'event-type' },
        h('details', {},
          h('summary', { text: entry.type }),
          h('pre', { class: 'payload', text: displayPayload(entry.payload) }))),
      h('td', { text: who(entry.actor, names) }),
      h('td', { class: 'request-id', title: entry.request_id ?? '', text: entry.request_id ? entry.request_id.slice(0, 13) : '–' }))))));
  await choose(entries.length - 1);
}

/**
 * The last nanosecond of the instant `recorded_at` names. The trail's times are written to the
 * microsecond, the events' own times (which the replay compares) are finer: asking at the
 * truncated time would leave out the very event the entry is about.
 */
export function endOfInstant(recordedAt) {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(recordedAt ?? '');
  if (!match) return recordedAt;
  const [, clock, fraction = '', zone] = match;
  return `${clock}.${fraction.padEnd(9, '9')}${zone}`;
}

function renderReplay(past, { names, queueName, me }) {
  const status = h('span', { class: 'status-pill', id: 'replay-status', dataset: { status: past.status }, text: t(`status_${past.status}`) });
  const item = (key, value) => [h('dt', { text: t(key) }), h('dd', { text: value })];
  fill($('#replay-state'),
    h('div', { class: 'replay-head' }, h('strong', {}, nameNode(past.customer_name)), status,
      past.erased && erasedBadge()),
    h('dl', { class: 'definitions replay-facts' },
      item('queue', past.queue_id ? queueName(past.queue_id) : '–'),
      item('agent', past.agent_id ? (names(past.agent_id) ?? past.agent_id) : '–'),
      item('transfers', String(past.transfers ?? 0)),
      item('asOf', past.as_of ? formatTime(past.as_of) : '–')));
  const root = $('#replay-transcript');
  if (past.transcript.length === 0) {
    fill(root, h('li', { class: 'message-note', text: t('replayNoMessages') }));
    return;
  }
  const agentName = past.agent_id ? names(past.agent_id) : null;
  renderTranscript(root, { ...past, agent_name: agentName, end_reason: null }, me, { userName: names });
}

export function wireAudit() {
  $('#audit-close').addEventListener('click', () => dialog().close());
  dialog().addEventListener('close', () => { shown = null; });
}
