// The supervisors' board of agents (`GET /agents`): each agent's state as routing sees it
// (offline, ready, paused and why, wrapping up), how long they have been in it, how many of
// their queues they are logged in to and their chats; from it a supervisor pauses or resumes
// an agent, or logs them out of every queue.

import { h, fill, rerender } from './dom.js';
import { t, formatSince, formatLeft } from './i18n.js';

/** The reason picked for each agent, kept across the board's live re-renders. */
const picked = new Map();

/** `reasons`: the pause reasons to offer, `[{code, label}]`; `reasonLabel(code)` words any reason. */
export function renderAgentBoard(root, agents, { reasons, reasonLabel, onPause, onResume, onLogOut }) {
  const head = h('h2', { id: 'agent-board-title', text: t('agentBoard') });
  if (agents.length === 0) {
    fill(root, head, h('p', { class: 'empty-state', text: t('boardEmpty') }));
    return;
  }
  rerender(root, () => fill(root, head, h('table', { class: 'data-table compact agent-board-table', 'aria-labelledby': head.id },
    h('thead', {}, h('tr', {},
      ['agent', 'agentState', 'inState', 'queues', 'chats', ''].map((key) => h('th', { scope: 'col', text: key ? t(key) : '' })))),
    h('tbody', {}, agents.map((agent) => h('tr', { dataset: { userId: agent.user_id, state: agent.state } },
      h('td', { class: 'agent-name', text: agent.display_name }),
      h('td', {}, stateCell(agent, reasonLabel)),
      h('td', { class: 'number-cell', dataset: { since: agent.since ?? '' } }, formatSince(agent.since)),
      h('td', { class: 'number-cell', text: t('queuesOf', { n: agent.logged_in_queues, of: agent.member_queues }) }),
      h('td', { class: 'number-cell' },
        String(agent.active_chats),
        agent.offered_chats > 0 && h('span', { class: 'muted', text: ` · ${t('offeredCount', { n: agent.offered_chats })}` })),
      h('td', {}, h('div', { class: 'board-actions' }, actions(agent, { reasons, onPause, onResume, onLogOut })))))))));
}

function stateCell(agent, reasonLabel) {
  const pill = h('span', { class: 'state-pill', dataset: { state: agent.state }, text: t(`state_${agent.state}`) });
  if (agent.state === 'paused') return [pill, ' ', h('span', { class: 'state-reason', text: reasonLabel(agent.paused_reason) })];
  if (agent.state === 'wrap_up') {
    return [pill, ' ', h('span', { class: 'state-reason', dataset: { until: agent.wrap_up_until }, text: formatLeft(agent.wrap_up_until) })];
  }
  return pill;
}

function actions(agent, { reasons, onPause, onResume, onLogOut }) {
  if (agent.state === 'offline') return null;
  const name = agent.display_name;
  const key = (what) => `${what}:${agent.user_id}`;
  const reason = h('select', {
    class: 'board-reason',
    dataset: { key: key('reason') },
    'aria-label': t('pauseReasonFor', { name }),
    onchange: (event) => picked.set(agent.user_id, event.target.value),
  }, reasons.map((r) => h('option', { value: r.code, text: r.label, selected: picked.get(agent.user_id) === r.code })));
  return [
    agent.state === 'paused'
      ? h('button', {
        type: 'button', class: 'button small', dataset: { key: key('resume') },
        'aria-label': t('resumeAgent', { name }), onclick: () => onResume(agent),
      }, t('resume'))
      : [reason, h('button', {
        type: 'button', class: 'button small', dataset: { key: key('pause') },
        'aria-label': t('pauseAgent', { name }), onclick: () => onPause(agent, reason.value),
      }, t('pause'))],
    h('button', {
      type: 'button', class: 'button small danger', dataset: { key: key('log-out') },
      'aria-label': t('logAgentOutAll', { name }), onclick: () => onLogOut(agent),
    }, t('logOut')),
  ];
}
