// Files in the conversation: sent from the composer (button, paste, drop) with progress and
// one Idempotency-Key per file, so a retry after a failure sends it once; shown as a card
// with the server's thumbnail for pictures, the name, the size, and a download. Every call
// carries the session's token, so downloads go through fetch and a Blob, never a bare link.

import { ApiError, session } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

/** What the file picker offers: what the server takes (it decides from the bytes anyway). */
export const ACCEPTED = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain';

/** "1.2 MB", "340 kB", "12 B". */
export function formatSize(bytes) {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} kB`;
  return `${bytes} B`;
}

/**
 * Sends `file` to `path` as the multipart upload the server reads, reporting progress as a
 * fraction; resolves with the file's transcript line, rejects with an ApiError.
 */
export function upload(path, file, key, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.setRequestHeader('Idempotency-Key', key);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      const body = (() => { try { return JSON.parse(xhr.responseText); } catch { return null; } })();
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, null)));
    const form = new FormData();
    form.append('file', file, file.name || 'file');
    xhr.send(form);
  });
}

/** Attachment id → the object URL of what was fetched for it (a thumbnail, once per page). */
const thumbnails = new Map();

async function fetchBlob(path) {
  const response = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!response.ok) throw new ApiError(response.status, null);
  return response.blob();
}

function thumbnailUrl(path, attachmentId) {
  if (!thumbnails.has(attachmentId)) {
    thumbnails.set(attachmentId, fetchBlob(`${path}?thumbnail=true`).then((blob) => URL.createObjectURL(blob)));
  }
  return thumbnails.get(attachmentId);
}

async function download(path, name) {
  const url = URL.createObjectURL(await fetchBlob(path));
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The file a line is, if it is one: from the transcript (`attachment_id`, `file_name`, …) or
 * a replay (`file`). Its name is `null` once the chat is erased.
 */
export function fileOf(message) {
  if (message.attachment_id) {
    return {
      id: message.attachment_id, name: message.file_name, type: message.file_type, size: message.file_size,
    };
  }
  if (message.file) {
    return {
      id: message.file.attachment_id, name: message.file.name, type: message.file.media_type, size: message.file.size,
    };
  }
  return null;
}

/** The card a file's line shows: its thumbnail (pictures), name, size and a download. */
export function fileCard(file, chatId) {
  const path = `/chats/${chatId}/attachments/${file.id}`;
  if (file.name === null) {
    return h('p', { class: 'message-text erased-placeholder', text: t('fileErased', { size: formatSize(file.size) }) });
  }
  const problem = h('span', { class: 'file-problem', role: 'alert' });
  const card = h('div', { class: 'file-card' });
  if (file.type?.startsWith('image/')) {
    const picture = h('img', { class: 'file-thumbnail', alt: file.name });
    thumbnailUrl(path, file.id)
      .then((url) => { picture.src = url; })
      .catch(() => picture.remove());
    card.append(picture);
  }
  card.append(
    h('span', { class: 'file-name', text: file.name }),
    h('span', { class: 'file-size', text: formatSize(file.size) }),
    h('button', {
      type: 'button',
      class: 'button small',
      text: t('download'),
      'aria-label': t('downloadFile', { name: file.name }),
      onclick: () => {
        problem.textContent = '';
        download(path, file.name).catch(() => { problem.textContent = t('downloadFailed'); });
      },
    }),
    problem,
  );
  return card;
}
