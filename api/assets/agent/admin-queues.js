// The administration module's queue pages: the queues themselves (named in both languages,
// renamed in place, removed once nothing uses them), who is a member of which queue (a table
// to remove from, and a form that keeps the queue and user it last saved, so the next agent
// added goes to the queue the administrator was working on), and each queue's routing
// settings the server holds — service level and its target, the no-agent notice and where
// such chats overflow to — saved with `patchQueue`, which keeps the rest.

import { api, post } from './api.js';
import { h } from './dom.js';
import { localName, t } from './i18n.js';
import {
  editableRow, form, nameFields, namesOf, patchQueue, removeButton, rowButton, section, table, tableOr,
} from './admin-forms.js';

/**
 * `queues`: each queue's settings (`GET /queues/{id}`). The server refuses to remove a queue
 * that still has open chats, categories leading to it, or another queue overflowing to it,
 * and says which (shown in the toast).
 */
export function queuesSection(queues, { notify, run }) {
  return section('queues',
    table(['name', 'nameEn', ''], queues.map((queue) => editableRow([queue.name, queue.name_en ?? '–'], {
      fields: nameFields(queue),
      save: run((v) => api(`/queues/${queue.queue_id}/name`, { method: 'PUT', body: namesOf(v) })),
      editKey: 'rename',
      label: t('renameItem', { name: localName(queue) }),
      buttons: removeButton(() => api(`/queues/${queue.queue_id}`, { method: 'DELETE' }), {
        notify,
        label: t('removeItem', { name: localName(queue) }),
        title: t('removeQueueTitle', { name: localName(queue) }),
        text: t('removeQueueText'),
      }),
    }))),
    form(nameFields(), 'create', run((v) => post('/queues', namesOf(v)))));
}

/** The queue and user the membership form last saved, kept across the view's reloads. */
const lastMembership = { queue_id: undefined, user_id: undefined };

/**
 * `queues`: each queue's settings with its `members` (`GET /queues/{id}/agents`); `users`: every
 * user (`GET /users`).
 */
export function membershipSection(queues, users, { notify, run }) {
  const rows = queues.flatMap((queue) => queue.members.map((member) => [
    localName(queue),
    member.display_name,
    rowButton('remove', () => api(`/queues/${queue.queue_id}/members/${member.user_id}`, { method: 'DELETE' }), {
      notify, danger: true, label: t('removeMemberOf', { name: member.display_name, queue: localName(queue) }),
    }),
  ]));
  const remember = (action) => (values) => {
    Object.assign(lastMembership, values);
    return action(values);
  };
  return section('membership',
    tableOr('noMemberships', ['queue', 'user', ''], rows),
    form([
      { name: 'queue_id', label: 'queue', options: queues.map((q) => [q.queue_id, localName(q)]), value: lastMembership.queue_id },
      { name: 'user_id', label: 'user', options: users.map((u) => [u.user_id, u.display_name]), value: lastMembership.user_id },
    ], 'addMember', run(remember((v) => post(`/queues/${v.queue_id}/members`, { user_id: v.user_id }))), {
      label: 'removeMember',
      action: run(remember((v) => api(`/queues/${v.queue_id}/members/${v.user_id}`, { method: 'DELETE' }))),
    }));
}

/** A number field's value for PATCH: empty is `null` (none, or the server's default). */
const numberOrNull = (text) => ((text ?? '').trim() === '' ? null : Number(text));

/** `queues`: each queue's settings (`GET /queues/{id}`). */
export function queueSettingsSection(queues, { run }) {
  return section('queueSettings',
    h('p', { class: 'muted section-lead', text: t('queueSettingsLead') }),
    h('div', { class: 'wrap-up-queues' }, queues.map((queue) => {
      const titleId = `queue-settings-${queue.queue_id}`;
      const others = queues.filter((q) => q.queue_id !== queue.queue_id).map((q) => [q.queue_id, localName(q)]);
      return h('div', { class: 'wrap-up-queue', role: 'group', 'aria-labelledby': titleId },
        h('h3', { id: titleId, text: localName(queue) }),
        form([
          { name: 'service_level_seconds', label: 'serviceLevelSeconds', type: 'number', value: queue.service_level_seconds ?? undefined },
          { name: 'service_level_target_percent', label: 'serviceLevelTargetPercent', type: 'number', value: queue.service_level_target_percent ?? undefined },
          { name: 'no_agent_notice_after_seconds', label: 'noAgentNoticeSeconds', type: 'number', value: queue.no_agent_notice_after_seconds ?? undefined },
          { name: 'overflow_queue_id', label: 'overflowQueue', options: [['', t('noOverflow')], ...others], value: queue.overflow_queue_id ?? '' },
        ], 'save', run((v) => patchQueue(queue.queue_id, {
          service_level_seconds: numberOrNull(v.service_level_seconds),
          service_level_target_percent: numberOrNull(v.service_level_target_percent),
          no_agent_notice_after_seconds: numberOrNull(v.no_agent_notice_after_seconds),
          overflow_queue_id: v.overflow_queue_id || null,
        }))));
    })));
}
