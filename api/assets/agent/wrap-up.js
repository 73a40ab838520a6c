// The agent's wrap-up after a chat: the time routing leaves them to finish it (counting down,
// extended once, cut short with Ready), and the wrap-up code a chat still owes when the
// customer closed it in a queue that requires one.

import { h, fill, rerender } from './dom.js';
import { t, formatLeft } from './i18n.js';
import { customerName } from './erased.js';

/** Whether the chat's wrap-up time is still running. */
export function wrappingUp(chat, now = Date.now()) {
  return Boolean(chat.wrap_up_until) && Date.parse(chat.wrap_up_until) > now;
}

/**
 * One row per ended chat still being wrapped up or owing its code. `extended`: the chats whose
 * time was extended already (the server allows it once).
 */
export function renderWrapUp(root, passive, { extended, onExtend, onFinish, onCodes }) {
  const due = passive.filter((chat) => wrappingUp(chat) || chat.code_owed);
  root.hidden = due.length === 0;
  rerender(root, () => fill(root, due.map((chat) => {
    const running = wrappingUp(chat);
    const name = customerName(chat.customer_name);
    const button = (key, label, onclick, extra = {}) => h('button', {
      type: 'button',
      class: 'button small',
      dataset: { key: `${key}:${chat.chat_id}` },
      'aria-label': t(label, { name }),
      onclick: () => onclick(chat),
      ...extra,
    }, t(key));
    return h('div', { class: 'wrap-up-row', dataset: { chatId: chat.chat_id } },
      h('span', { class: 'wrap-up-what' },
        h('strong', { text: running ? t('wrapUpState') : t('codeOwed') }), ' ', name),
      running && h('span', {
        class: 'wrap-up-left', dataset: { until: chat.wrap_up_until }, text: formatLeft(chat.wrap_up_until),
      }),
      h('span', { class: 'wrap-up-actions' },
        chat.code_owed ? button('chooseCode', 'chooseCodeFor', onCodes) : null,
        running && button('extendWrapUp', 'extendWrapUpFor', onExtend, { disabled: extended.has(chat.chat_id) }),
        running && button('finishWrapUp', 'finishWrapUpFor', onFinish, { class: 'button small primary' })));
  })));
}
