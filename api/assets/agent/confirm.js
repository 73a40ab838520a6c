// The confirmation step in front of irreversible or weighty actions (erasure, signing out
// with chats still open, ending a chat). One modal <dialog> in the page: it keeps keyboard
// focus inside while open, Escape cancels, and focus goes back to the control that opened it.
// The safe choice (Cancel) has the focus first, so a stray Enter erases nothing.

import { $, fill } from './dom.js';
import { problemText, t } from './i18n.js';

/** The open dialog's action, run by its confirm button; null while it only asks. */
let pending = null;

/**
 * Asks; resolves `true` when the user confirms. `title` and `text` say exactly what will be
 * lost; `confirm` labels the button that does it (`tone` 'danger' or 'primary'). `body` adds
 * fields between the text and the buttons. With `action`, confirming runs it first: while it
 * is refused (it throws) the dialog stays open and shows `explain(error)`, and it resolves
 * `true` once the action went through.
 */
export function confirmAction({
  title, text, confirm, tone = 'danger', body = [], action = null, explain = problemText,
}) {
  const dialog = $('#confirm-dialog');
  const opener = document.activeElement;
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  fill($('#confirm-body'), body);
  $('#confirm-error').textContent = '';
  const ok = $('#confirm-ok');
  ok.textContent = confirm;
  ok.className = `button ${tone === 'primary' ? 'primary' : 'danger-solid'}`;
  $('#confirm-cancel').textContent = t('cancel');
  pending = action && { action, explain };
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      pending = null;
      fill($('#confirm-body'));
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === 'confirm');
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    $('#confirm-cancel').focus();
  });
}

/** Renames the open dialog's confirm button: when a choice in its body changes what it does. */
export function relabelConfirm(text) {
  $('#confirm-ok').textContent = text;
}

async function confirmed() {
  const dialog = $('#confirm-dialog');
  if (!pending) {
    dialog.close('confirm');
    return;
  }
  const { action, explain } = pending;
  const buttons = [$('#confirm-ok'), $('#confirm-cancel')];
  for (const button of buttons) button.disabled = true;
  $('#confirm-error').textContent = '';
  try {
    await action();
    dialog.close('confirm');
  } catch (error) {
    $('#confirm-error').textContent = explain(error);
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

export function wireConfirm() {
  const dialog = $('#confirm-dialog');
  $('#confirm-ok').addEventListener('click', confirmed);
  $('#confirm-cancel').addEventListener('click', () => dialog.close('cancel'));
  // A refusal is about the choice made then: once the user changes it, it no longer applies.
  for (const type of ['input', 'change']) {
    $('#confirm-body').addEventListener(type, () => { $('#confirm-error').textContent = ''; });
  }
  // Escape while the action runs would hide an answer that is on its way.
  dialog.addEventListener('cancel', (event) => {
    if ($('#confirm-ok').disabled) event.preventDefault();
  });
}
