// The administration module (administrators): users, queues and their settings, who is a
// member of which queue (admin-queues.js), the categories and fields of the pre-chat form
// (admin-prechat.js), pause reasons, each queue's wrap-up and opening hours, transcript
// retention and erasure, on the admin endpoints. Every change is an event; the console
// reloads this view when directory events arrive.

import { api, post } from './api.js';
import { fill, rerender } from './dom.js';
import { t } from './i18n.js';
import { form, rowButton, section, table } from './admin-forms.js';
import { pauseReasonsSection, wrapUpSection } from './admin-choices.js';
import { openingHoursSection } from './admin-hours.js';
import { categoriesSection, formFieldsSection } from './admin-prechat.js';
import { membershipSection, queueSettingsSection, queuesSection } from './admin-queues.js';
import { erasureSection, retentionSection } from './privacy.js';

export async function renderAdmin(root, { notify }) {
  const [users, config, reasons] = await Promise.all([api('/users'), api('/widget/config'), api('/pause-reasons')]);
  const { categories, fields } = config;
  // Each queue's settings as PATCH takes them (the listings lack some), its wrap-up codes and
  // its members.
  const queues = await Promise.all(config.queues.map(async (q) => {
    const [settings, codes, members] = await Promise.all([
      api(`/queues/${q.queue_id}`), api(`/queues/${q.queue_id}/wrap-up-codes`), api(`/queues/${q.queue_id}/agents`)]);
    return { ...settings, codes, members };
  }));
  const run = (action) => async (values) => {
    await action(values);
    notify(t('saved'));
  };

  // Redrawn on every directory event: the button that made the change keeps the focus.
  rerender(root, () => fill(root,
    section('users',
      table(['username', 'displayName', 'role', 'maxChats', 'active', ''], users.map((u) => [
        u.username, u.display_name, t(`role_${u.role}`), String(u.max_concurrent_chats),
        u.active ? t('active') : t('inactive'),
        rowButton(u.active ? 'deactivate' : 'activate',
          () => api(`/users/${u.user_id}`, { method: 'PATCH', body: { active: !u.active } }), { notify }),
      ])),
      form([
        { name: 'username', label: 'username', required: true },
        { name: 'display_name', label: 'displayName', required: true },
        { name: 'password', label: 'password', type: 'password', required: true },
        { name: 'role', label: 'role', options: ['agent', 'supervisor', 'administrator'].map((r) => [r, t(`role_${r}`)]) },
        { name: 'max_concurrent_chats', label: 'maxChats', type: 'number', value: '3' },
      ], 'create', run((v) => post('/users', { ...v, max_concurrent_chats: Number(v.max_concurrent_chats) }))),
      // A new password ends the user's sessions at once (PATCH /users/{id}).
      form([
        { name: 'user_id', label: 'user', options: users.map((u) => [u.user_id, `${u.display_name} (${u.username})`]) },
        { name: 'password', label: 'newPassword', type: 'password', required: true },
      ], 'resetPassword', run((v) => api(`/users/${v.user_id}`, { method: 'PATCH', body: { password: v.password } })))),
    queuesSection(queues, { notify, run }),
    queueSettingsSection(queues, { run }),
    membershipSection(queues, users, { notify, run }),
    categoriesSection(categories, queues, { notify, run }),
    formFieldsSection(fields, { notify, run }),
    pauseReasonsSection(reasons, { notify, run }),
    wrapUpSection(queues, { notify, run }),
    openingHoursSection(queues, { notify }),
    retentionSection(queues, { notify, section }),
    erasureSection({ section })));
}
