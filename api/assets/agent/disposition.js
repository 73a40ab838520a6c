// What a chat ended with: some of its queue's wrap-up codes (the contact reasons reports
// count) and a note only colleagues read. One picker, in the confirmation dialog, both for
// ending a chat and for giving the codes a chat still owes once it has ended.

import { api } from './api.js';
import { h } from './dom.js';
import { problemText, t } from './i18n.js';
import { confirmAction } from './confirm.js';

/** Each queue's codes as last fetched: for the labels of codes a chat was given. */
const known = new Map();

/** The codes to offer for a chat of the queue, fetched afresh: an administrator may have changed them. */
export async function wrapUpCodes(queueId) {
  const codes = await api(`/queues/${queueId}/wrap-up-codes`);
  known.set(queueId, codes);
  return codes;
}

export const knowsCodes = (queueId) => known.has(queueId);

export function codeLabel(queueId, code) {
  return known.get(queueId)?.find((c) => c.code === code)?.label ?? code;
}

/** The server refuses the codes (none where the queue requires one, or one not the queue's). */
function explain(error) {
  return error.problem?.errors?.some((e) => e.key === 'codes') ? t('chooseWrapUpCode') : problemText(error);
}

let pickers = 0;

/**
 * Asks for codes and a note, and sends them with `submit({codes, note})`; resolves with its
 * answer, or null if the user cancelled. A refusal is shown in the dialog, which stays open.
 */
export async function askDisposition({ codes, title, text, confirm, tone, submit }) {
  pickers += 1;
  const id = `disposition-${pickers}`;
  const boxes = codes.map((c) => h('input', { type: 'checkbox', id: `${id}-${c.code}`, value: c.code }));
  const note = h('textarea', {
    id: `${id}-note`, rows: '3', maxlength: '4000', 'aria-describedby': `${id}-note-hint`,
  });
  const body = [
    codes.length > 0 && h('fieldset', { class: 'disposition-codes' },
      h('legend', { text: t('wrapUpCodesLegend') }),
      codes.map((c, i) => h('label', { class: 'disposition-code', for: boxes[i].id }, boxes[i], c.label))),
    h('div', { class: 'form-row disposition-note' },
      h('label', { for: note.id, text: t('wrapUpNote') }),
      note,
      h('span', { class: 'muted field-hint', id: `${id}-note-hint`, text: t('wrapUpNoteHint') })),
  ];
  let answer = null;
  const action = async () => {
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
    answer = await submit({ codes: chosen, ...(note.value.trim() ? { note: note.value } : {}) });
  };
  const done = await confirmAction({ title, text, confirm, tone, body, action, explain });
  return done ? answer : null;
}
