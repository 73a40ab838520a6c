// The confirmation step in front of irreversible or weighty actions (erasure, signing out
// with chats still open). One modal <dialog> in the
// page: it keeps keyboard focus inside while open, Escape cancels, and focus goes back to the
// control that opened it. The safe choice (Cancel) has the focus first, so a stray Enter
// erases nothing.

import { $ } from './dom.js';
import { t } from './i18n.js';

/**
 * Asks; resolves `true` when the user confirms. `title` and `text` say exactly what will be
 * lost; `confirm` labels the button that does it.
 */
export function confirmAction({ title, text, confirm }) {
  const dialog = $('#confirm-dialog');
  const opener = document.activeElement;
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = confirm;
  $('#confirm-cancel').textContent = t('cancel');
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === 'confirm');
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    $('#confirm-cancel').focus();
  });
}

export function wireConfirm() {
  $('#confirm-ok').addEventListener('click', () => $('#confirm-dialog').close('confirm'));
  $('#confirm-cancel').addEventListener('click', () => $('#confirm-dialog').close('cancel'));
}
