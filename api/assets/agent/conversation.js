// The selected chat (seed, agent window items 4, 5, 7 and 8): its transcript with the staff's
// internal notes between the lines, the input field (a message to the customer, or a note;
// `/` opens the canned responses; only notes for staff who watch a chat that is not theirs),
// End chat, Transfer and Hand over. Message and note text is only ever set with textContent
// (see dom.js).

import { h, fill } from './dom.js';
import { t, formatTime, language, localName } from './i18n.js';
import { customerName, erasedBadge, messageErased, nameErased } from './erased.js';
import { fileCard, fileOf } from './files.js';

/** Whether the agent can still act on the chat: it is ongoing and theirs. */
export function isMine(chat, me) {
  return chat.status === 'assigned' && chat.agent_id === me.user_id;
}

/**
 * A colleague's name as the chat has it: those who wrote in it (`authors`), those in it now
 * (`participants`), its agent; else `userName(userId)`, what the console knows. Null when
 * nobody says: the chat was loaded before they wrote.
 */
export function staffName(chat, userId, userName) {
  if (!userId) return null;
  return chat.authors?.find((a) => a.user_id === userId)?.display_name
    ?? chat.participants?.find((p) => p.user_id === userId)?.display_name
    ?? (userId === chat.agent_id ? chat.agent_name : null)
    ?? userName?.(userId)
    ?? null;
}

function authorName(message, chat, me, userName) {
  switch (message.author_kind) {
    case 'customer': return customerName(chat.customer_name);
    case 'agent':
      if (message.author_id === me.user_id) return t('you');
      return staffName(chat, message.author_id, userName) ?? t('agent');
    default: return t('system');
  }
}

function closingNote(chat) {
  if (chat.status === 'ended' || chat.status === 'abandoned') {
    return chat.end_reason === 'customer' || chat.status === 'abandoned'
      ? t('customerLeft', { name: customerName(chat.customer_name) })
      : t('chatClosed');
  }
  return null;
}

/** Whether `me` is a colleague in the conversation besides its agent (invited and joined). */
export function isParticipant(chat, me) {
  return chat.status === 'assigned'
    && (chat.participants ?? []).some((p) => p.user_id === me.user_id && p.state === 'active');
}

/** Whether `me` writes to the customer in the chat: its agent, or a colleague who joined. */
export const mayMessage = (chat, me) => isMine(chat, me) || isParticipant(chat, me);

/**
 * `userName(userId)`: a colleague's display name where the console knows it (a note's author);
 * `oversees`: a supervisor's or an administrator's console, which monitors a chat that is not
 * theirs.
 */
export function renderConversation(els, chat, me, { userName, oversees = false } = {}) {
  fill(els.title, customerName(chat.customer_name));
  els.title.classList.toggle('erased-placeholder', nameErased(chat.customer_name));
  els.erased?.replaceChildren(...(chat.erased || nameErased(chat.customer_name) ? [erasedBadge()] : []));
  els.status.textContent = t(`status_${chat.status}`);
  els.status.dataset.status = chat.status;
  const mine = isMine(chat, me);
  const joined = isParticipant(chat, me);
  els.actions.hidden = !mine;
  // While it goes on, anyone who may see a chat may note it; writing to the customer is for
  // those in the conversation (see renderComposerMode).
  els.composer.hidden = chat.status !== 'assigned';
  if (els.hand) {
    const raised = Boolean(chat.hand_raised);
    els.hand.setAttribute('aria-pressed', String(raised));
    els.hand.title = t(raised ? 'askHelpRaised' : 'askHelp');
  }
  // A supervisor's monitor of a chat in progress: notes only, with whisper, join and take over.
  if (els.monitor) {
    els.monitor.hidden = !(oversees && chat.status === 'assigned' && !mine && !joined);
    els.join.hidden = joined;
  }
  if (els.participant) els.participant.hidden = !joined;
  renderPeople(els, chat);
  renderTranscript(els.transcript, chat, me, { userName });
}

/** Whether the customer has the chat open now, or when they last had; who else is in it. */
function renderPeople(els, chat) {
  if (!els.presence) return;
  const open = chat.status === 'assigned' || chat.status === 'waiting';
  let presence = '';
  if (open && chat.customer_online) presence = t('customerHere');
  else if (open && chat.customer_seen_at) presence = t('customerSeen', { time: formatTime(chat.customer_seen_at) });
  els.presence.textContent = presence;
  els.presence.dataset.online = String(Boolean(open && chat.customer_online));
  const others = (chat.participants ?? []).map((p) => (p.state === 'active' ? p.display_name : t('invitedPending', { name: p.display_name })));
  els.participants.textContent = open && others.length > 0 ? t('alsoHere', { names: others.join(', ') }) : '';
}

/** The messages in their order, each note before the first message written after it. */
function timeline(chat) {
  const notes = chat.notes ?? [];
  const lines = [];
  let next = 0;
  for (const message of chat.transcript) {
    const sent = Date.parse(message.sent_at);
    while (next < notes.length && Date.parse(notes[next].written_at) < sent) lines.push({ note: notes[next++] });
    lines.push({ message });
  }
  while (next < notes.length) lines.push({ note: notes[next++] });
  return lines;
}

function noteAuthor(note, chat, me, userName) {
  if (note.author_id && note.author_id === me.user_id) return t('you');
  return staffName(chat, note.author_id, userName) ?? t('colleague');
}

/** `@username` as the server reads it: at the start, or after a space or an opening bracket. */
const MENTION = /(^|[\s([{])@([a-z0-9._-]*[a-z0-9])/gi;

/** A note's text as text nodes, the colleagues it names marked (still only text). */
function noteText(text) {
  const parts = [];
  let done = 0;
  for (const match of text.matchAll(MENTION)) {
    const at = match.index + match[1].length;
    parts.push(text.slice(done, at), h('span', { class: 'mention', text: `@${match[2]}` }));
    done = at + 1 + match[2].length;
  }
  parts.push(text.slice(done));
  return parts;
}

/** An internal note: for staff only, and unlike any line the customer sees. */
function noteItem(note, chat, me, userName) {
  const whisper = Boolean(note.whisper);
  const author = noteAuthor(note, chat, me, userName);
  // A supervisor's whisper to the agent: purple, and says so, apart from a colleague's note.
  return h('li', { class: `note${whisper ? ' whisper' : ''}`, dataset: { noteId: note.note_id ?? '' } },
    h('div', { class: 'note-meta' },
      h('span', { class: 'note-label', text: whisper ? t('whisperFrom', { name: author }) : t('internalNote') }),
      !whisper && h('span', { class: 'note-author', text: author }),
      h('time', { datetime: note.written_at, text: formatTime(note.written_at) })),
    note.text
      ? h('p', { class: 'note-text' }, noteText(note.text))
      : h('p', { class: 'note-text erased-placeholder', text: t('erasedText') }));
}

/** What a line says: a file's card, its words, a notice, or that it was erased. */
function lineBody(message, chat) {
  const file = fileOf(message);
  if (file) return fileCard(file, chat.chat_id);
  if (messageErased(message)) return h('p', { class: 'message-text erased-placeholder', text: t('erasedText') });
  return h('p', { class: 'message-text', text: message.notice ? t(`notice_${message.notice}`) : message.text });
}

export function renderTranscript(root, chat, me, { userName } = {}) {
  const stuckToBottom = root.scrollHeight - root.scrollTop - root.clientHeight < 40;
  const note = closingNote(chat);
  fill(root,
    timeline(chat).map(({ note: written, message }) => (written ? noteItem(written, chat, me, userName) : h('li', {
      class: `message from-${message.author_kind}${message.author_id === me.user_id ? ' own' : ''}`,
      dataset: { number: String(message.number) },
    },
    h('div', { class: 'message-meta' },
      h('span', { class: 'message-author', text: authorName(message, chat, me, userName) }),
      h('time', { datetime: message.sent_at, text: formatTime(message.sent_at) })),
    lineBody(message, chat)))),
    note && h('li', { class: 'message-note', text: note }));
  if (stuckToBottom) root.scrollTop = root.scrollHeight;
}

/** The transfer select: every queue, then every category (with its queue). */
export function fillTransferTargets(select, { queues, categories }) {
  const queueName = new Map(queues.map((q) => [q.queue_id, localName(q)]));
  fill(select,
    h('option', { value: '', text: t('chooseTarget') }),
    h('optgroup', { label: t('queuesGroup') },
      queues.map((q) => h('option', { value: `queue:${q.queue_id}`, text: localName(q) }))),
    h('optgroup', { label: t('categoriesGroup') },
      categories.map((c) => h('option', {
        value: `category:${c.category_id}`,
        text: `${localName(c)} (${queueName.get(c.queue_id) ?? ''})`,
      }))));
}

/** The request body for the select's value (`queue:ID` or `category:ID`). */
export function transferTarget(value) {
  const [kind, id] = value.split(':');
  return kind === 'queue' ? { queue_id: id } : { category_id: id };
}

/**
 * Of a queue's roster (`GET /queues/{id}/agents`), those a chat can be handed to: logged in,
 * not paused, and not `me`. The server has the last word (wrap-up, room for one more).
 */
export function availableColleagues(roster, me) {
  return roster.filter((entry) => entry.logged_in && !entry.paused_reason && entry.user_id !== me.user_id);
}

/** A labelled select of `colleagues`, with how many chats each has now; empty: none chosen. */
export function colleagueField(colleagues, id) {
  const select = h('select', { id, required: true },
    h('option', { value: '', text: t('chooseColleague') }),
    colleagues.map((c) => h('option', {
      value: c.user_id,
      text: t('colleagueOption', { name: c.display_name, n: c.active_chats }),
    })));
  const field = h('div', { class: 'form-row' }, h('label', { for: id, text: t('colleague') }), select);
  return { field, select };
}

/**
 * The composer's mode: a message to the customer, or an internal note (yellow, its own label,
 * placeholder and button), so a note is never sent to the customer by mistake. Without
 * `messages` (a chat the reader is not in) it writes notes only.
 */
export function renderComposerMode(els, { note, messages = true }) {
  const noteMode = note || !messages;
  els.composer.dataset.mode = noteMode ? 'note' : 'message';
  els.modeMessage.hidden = !messages;
  els.modeMessage.setAttribute('aria-pressed', String(!noteMode));
  els.modeNote.setAttribute('aria-pressed', String(noteMode));
  els.hint.hidden = !noteMode;
  els.label.textContent = t(noteMode ? 'noteLabel' : 'messageLabel');
  els.input.placeholder = t(noteMode ? 'notePlaceholder' : 'messagePlaceholder');
  els.send.textContent = t(noteMode ? 'addNote' : 'send');
}

/** A canned response's text in the console's language: English where it has one. */
export const cannedText = (response, lang) => (lang === 'en' && response.text_en ? response.text_en : response.text_nb);

/** Those of `responses` whose shortcut or title has `query`, those whose shortcut starts with it first. */
export function matchCanned(responses, query) {
  const q = query.trim().toLowerCase();
  if (!q) return responses;
  const hits = responses.filter((r) => r.shortcut.includes(q) || r.title.toLowerCase().includes(q));
  return [...hits.filter((r) => r.shortcut.startsWith(q)), ...hits.filter((r) => !r.shortcut.startsWith(q))];
}

/**
 * The canned responses' list over the input field. `/` at the start of the field opens it;
 * what follows filters it by shortcut and title; arrow keys choose, Enter (or Tab, or a click)
 * puts the chosen text in the field in place of the search, Escape closes it. `load()` gives
 * the responses filled in for the chat; `enabled()` says whether the field is for the
 * customer now; `insert(response)` puts the chosen one in.
 */
export function cannedMenu({ input, root, load, enabled, insert }) {
  let open = false;
  /** Escape closed it: it stays closed until the field no longer starts with `/`. */
  let dismissed = false;
  let responses = null;
  let failed = false;
  let shown = [];
  let active = 0;
  let loads = 0;

  const query = () => input.value.slice(1);
  const wanted = () => enabled() && input.value.startsWith('/') && !input.value.includes('\n');

  function render() {
    root.hidden = !open;
    // A textarea is a textbox, which has no `aria-expanded`: the list it controls, and the
    // option active in it, are what a screen reader follows.
    if (!open) {
      input.removeAttribute('aria-activedescendant');
      input.removeAttribute('aria-controls');
      fill(root);
      return;
    }
    shown = responses ? matchCanned(responses, query()) : [];
    active = Math.min(active, Math.max(0, shown.length - 1));
    let state = null;
    if (failed) state = t('cannedFailed');
    else if (!responses) state = t('cannedLoading');
    else if (responses.length === 0) state = t('cannedNone');
    else if (shown.length === 0) state = t('cannedNoMatch');
    input.setAttribute('aria-controls', 'canned-list');
    if (shown.length > 0) input.setAttribute('aria-activedescendant', `canned-option-${active}`);
    else input.removeAttribute('aria-activedescendant');
    fill(root,
      h('p', { class: 'canned-head' }, h('strong', { text: t('cannedMenu') }), h('span', { class: 'muted', text: t('cannedKeys') })),
      h('ul', { id: 'canned-list', role: 'listbox', 'aria-label': t('cannedMenu') },
        shown.map((response, index) => h('li', {
          id: `canned-option-${index}`,
          role: 'option',
          class: 'canned-option',
          'aria-selected': String(index === active),
          dataset: { shortcut: response.shortcut },
          onmousedown: (event) => event.preventDefault(),
          onclick: () => choose(response),
        },
        h('span', { class: 'canned-shortcut', text: `/${response.shortcut}` }),
        h('span', { class: 'canned-title', text: response.title }),
        h('span', { class: 'canned-preview', text: cannedText(response, language) })))),
      state && h('p', { class: 'canned-state', text: state }));
    root.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }

  async function opened() {
    open = true;
    responses = null;
    failed = false;
    active = 0;
    render();
    const mine = ++loads;
    try {
      const loaded = await load();
      if (mine !== loads || !open) return;
      responses = loaded;
    } catch (error) {
      if (mine !== loads) return;
      console.warn('canned responses', error);
      failed = true;
    }
    render();
  }

  function close() {
    if (!open) return;
    open = false;
    loads += 1;
    render();
  }

  function choose(response) {
    dismissed = true;
    close();
    insert(response);
  }

  return {
    isOpen: () => open,
    close,
    /** After every change of the field. */
    update() {
      if (!input.value.startsWith('/')) dismissed = false;
      if (!wanted() || dismissed) {
        close();
        return;
      }
      if (!open) opened();
      else {
        active = 0;
        render();
      }
    },
    /** A key in the field: true when the list took it. */
    keydown(event) {
      if (!open) return false;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        if (shown.length > 0) {
          active = (active + (event.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
          render();
        }
        return true;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        if (event.key === 'Enter' && (event.shiftKey || event.isComposing)) return false;
        if (event.key === 'Tab' && !shown[active]) return false;
        // With nothing to choose, Enter sends nothing either: the search is not a message.
        if (shown[active]) choose(shown[active]);
        return true;
      }
      if (event.key === 'Escape') {
        dismissed = true;
        close();
        return true;
      }
      return false;
    },
  };
}
