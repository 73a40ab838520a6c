// Seed item 3, the queue overview: per queue the chats waiting, the ongoing chats and the
// logged-in agents. Supervisors and administrators also log other agents in and out here.

import { h, fill, rerender } from './dom.js';
import { t, formatSince } from './i18n.js';
import { nameNode } from './erased.js';

/**
 * `agents` (supervisors and administrators only): the board of agents (`GET /agents`), each
 * queue listing its members with their state; `presence`: who is logged in where, learnt from
 * the board and kept live between its reads (see presence.js); `queueName(id)`: the queue's
 * name in the console's language.
 */
export function renderQueues(root, board, {
  queueName, agents, presence, reasonLabel, onAgentPresence,
}) {
  if (board.length === 0) {
    fill(root, h('p', { class: 'empty-state', text: t('noQueues') }));
    return;
  }
  rerender(root, () => fill(root, h('div', { class: 'queue-grid' }, board.map((queue) => h('article', {
    class: 'queue-card',
    dataset: { queueId: queue.queue_id },
    'aria-labelledby': `queue-${queue.queue_id}`,
  },
  // Under the view's h1, each queue is a section of its own (no level skipped).
  h('h2', { id: `queue-${queue.queue_id}`, text: queueName(queue.queue_id) }),
  h('dl', { class: 'figures' },
    figure('waiting', queue.waiting, queue.waiting > 0 ? 'attention' : ''),
    figure('ongoing', queue.ongoing),
    figure('loggedInAgents', queue.logged_in_agents),
    figure('handsRaised', queue.hands_raised ?? 0, queue.hands_raised > 0 ? 'attention' : '')),
  h('p', { class: 'longest-wait' },
    `${t('longestWait')}: `,
    h('span', { dataset: { since: queue.oldest_waiting_since ?? '' } },
      queue.oldest_waiting_since ? formatSince(queue.oldest_waiting_since) : '–')),
  agents && agentList(queue, agents, presence, { queueName, reasonLabel, onAgentPresence }))))));
}

function figure(key, value, tone = '') {
  return h('div', { class: `figure ${tone}`, dataset: { figure: key } },
    h('dt', { text: t(key) }),
    h('dd', { text: String(value) }));
}

/** The queue's members, each with where they stand and the one button that changes it. */
function agentList(queue, agents, presence, { queueName, reasonLabel, onAgentPresence }) {
  const members = agents.filter((agent) => agent.queues.some((q) => q.queue_id === queue.queue_id));
  return h('details', { class: 'agent-presence', dataset: { key: `agents:${queue.queue_id}` } },
    h('summary', { text: t('agents') }),
    members.length === 0
      ? h('p', { class: 'muted', text: t('noMembers') })
      : h('ul', {}, members.map((agent) => {
        const loggedIn = presence.state(agent.user_id, queue.queue_id) === true;
        const vars = { name: agent.display_name, queue: queueName(queue.queue_id) };
        return h('li', { dataset: { userId: agent.user_id } },
          h('span', { class: 'agent-who' },
            h('span', { class: 'agent-name', text: agent.display_name }),
            h('span', { class: 'agent-status', dataset: { known: String(loggedIn) }, text: status(agent, loggedIn, reasonLabel) })),
          h('button', {
            type: 'button',
            class: 'button small',
            dataset: { key: `${queue.queue_id}:${agent.user_id}:presence` },
            'aria-label': t(loggedIn ? 'logAgentOut' : 'logAgentIn', vars),
            onclick: () => onAgentPresence(queue, agent, !loggedIn),
          }, t(loggedIn ? 'logOut' : 'logIn')));
      })));
}

/** "Ready · 2 chats", "Paused (Lunch)", "logged out", "not signed in". */
function status(agent, loggedIn, reasonLabel) {
  if (!loggedIn) return t(agent.signed_in ? 'agentLoggedOut' : 'agentNotSignedIn');
  const state = agent.state === 'offline' ? 'ready' : agent.state;
  const words = state === 'paused'
    ? `${t('state_paused')} (${reasonLabel(agent.paused_reason)})`
    : t(`state_${state}`);
  return agent.active_chats > 0 ? `${words} · ${t('chatCount', { n: agent.active_chats })}` : words;
}

/**
 * Supervisors and administrators: the chats in progress (`GET /chats/ongoing`), raised hands
 * first, each opening as a live monitor (`onOpen(row)`).
 */
export function renderOngoing(root, rows, { queueName, userName, onOpen }) {
  rerender(root, () => fill(root,
    h('h2', { id: 'ongoing-title', class: 'section-title', text: t('ongoingChats') }),
    rows.length === 0
      ? h('p', { class: 'empty-state', text: t('noOngoing') })
      : h('ul', { class: 'ongoing-list' }, rows.map((row) => h('li', {
        class: `ongoing-item${row.hand_raised ? ' hand-raised' : ''}`,
        dataset: { key: `ongoing:${row.chat_id}`, chatId: row.chat_id },
      },
      h('button', {
        type: 'button',
        class: 'ongoing-open',
        onclick: () => onOpen(row),
      },
      // The action said before what the row shows, so the button's name holds its visible words.
      h('span', { class: 'visually-hidden', text: `${t('openOngoing')}: ` }),
      h('span', { class: 'ongoing-customer' }, nameNode(row.customer_name)),
      h('span', { class: 'ongoing-agent', text: userName(row.agent_id) ?? '' }),
      h('span', { class: 'ongoing-queue', text: queueName(row.queue_id) ?? '' }),
      h('span', { class: 'ongoing-since', dataset: { since: row.assigned_at ?? '' }, text: formatSince(row.assigned_at) }),
      row.hand_raised ? h('span', { class: 'hand-badge', text: t('handUp') }) : null))))));
}
