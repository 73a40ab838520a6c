// The agent console: signs the agent in, loads their picture of the contact centre, keeps it
// current from the live stream, and wires the controls. Rendering lives in the view modules;
// this module owns the state and the calls to the API.

import {
  api, newIdempotencyKey, post, request, session, whenUnauthorized,
} from './api.js';
import { $, coalesce, fill, h } from './dom.js';
import {
  formatLeft, formatSince, localName, problemText, t, translate, language, languages, setLanguage, tickSince, tickUntil,
} from './i18n.js';
import {
  DIRECTORY_EVENTS, alertSettings, askPermission, chime, connect, desktopNotice, notificationPermission, prepareSound,
  renderAlertSettings, saveAlertSettings,
} from './live.js';
import { renderIncoming, renderLeftMessages } from './incoming.js';
import { renderQueues, renderOngoing } from './queues.js';
import {
  renderChatLists, renderMentions, tickOffers, totalUnread,
} from './chat-lists.js';
import {
  renderConversation, renderTranscript, fillTransferTargets, transferTarget, isMine, mayMessage,
  staffName, availableColleagues, colleagueField, renderComposerMode, cannedMenu, cannedText,
} from './conversation.js';
import { renderCustomerInfo } from './customer-info.js';
import { askDisposition, codeLabel, knowsCodes, wrapUpCodes } from './disposition.js';
import { renderWrapUp } from './wrap-up.js';
import { renderAgentBoard } from './agent-board.js';
import { renderAdmin } from './admin.js';
import { renderCannedAdmin } from './admin-choices.js';
import { renderDayChart, today } from './day-chart.js';
import { openAudit, refreshAudit, renderHistory, wireAudit } from './audit.js';
import { exportHistory, historyQuery, renderHistorySearch, todaysSearch } from './history.js';
import { confirmAction, relabelConfirm, wireConfirm } from './confirm.js';
import { upload } from './files.js';
import { customerName, dropPersonal } from './erased.js';
import { attachIcon, bellIcon, chatIcon, closeIcon } from './icons.js';
import { Presence } from './presence.js';

/** Before the server has said otherwise: logged in nowhere. */
const OFFLINE = {
  state: 'offline', since: null, logged_in_queues: [], member_queues: 0,
  paused_reason: null, paused_since: null, wrap_up_until: null,
};

const state = {
  me: null,
  board: [],
  /** The oldest page of the incoming list, kept current from the live stream. */
  waiting: [],
  /** How many chats wait in all, of which `waiting` shows the oldest. */
  waitingTotal: 0,
  mine: { offered: [], active: [], passive: [] },
  /** The agent's availability as the server has it (`GET /me/presence`). */
  availability: OFFLINE,
  /** The reasons an agent can pause for besides `away`, `[{code, label}]`. */
  pauseReasons: [],
  /** Chats whose wrap-up was extended: the server allows it once. */
  extended: new Set(),
  /** Supervisors and administrators, on the queue overview: every agent's state (`GET /agents`). */
  agentBoard: null,
  /** Loaded chat views by id: the selected one and those seen this session. */
  chats: new Map(),
  /** A returning customer's earlier chats (`GET /chats/{id}/earlier`), by the chat open. */
  earlier: new Map(),
  selected: null,
  /** Every queue and category, for names and the transfer select. */
  directory: { queues: [], categories: [] },
  /** Supervisors and administrators: every user by id, for names in the audit trail. */
  users: new Map(),
  /** Colleagues' names by user id, from the rosters of the agent's queues (agents list no users). */
  names: new Map(),
  /** The messages customers left while a queue was closed: those waiting, those answered. */
  left: {
    waiting: [],
    answered: [],
    showing: 'waiting',
    /** By chat id: what the agent has typed, the key of its answer, what is wrong with it. */
    drafts: new Map(),
    keys: new Map(),
    errors: new Map(),
    sending: new Set(),
  },
  /** Supervisors and administrators: today's queue report, and the queue the chart shows. */
  report: null,
  chartQueue: '',
  /** How far back the chart looks: a key of day-chart.js's SPANS. */
  chartSpan: 'day',
  history: [],
  /** Supervisors: the History view's search, today's chats until they search for others. */
  historySearch: todaysSearch(),
  presence: new Presence(),
  drafts: new Map(),
  /** Chats whose composer writes an internal note rather than a message to the customer. */
  noteMode: new Set(),
  /** By chat: the `Idempotency-Key` of the note being written, kept until the server has it. */
  noteKeys: new Map(),
  /** Chats whose customer is typing now: chat → the timer that forgets it. */
  typing: new Map(),
  /** Chats a colleague's note named the agent in, not opened since: `{chat_id, customer_name, by_name}`. */
  mentions: [],
  tab: 'incoming',
  stopLive: null,
  /** Supervisors and administrators: the chats in progress (`GET /chats/ongoing`). */
  ongoing: null,
  /** How the agent wants to be called (see live.js): `{sound, desktop, title}`. */
  alerts: { sound: true, desktop: true, title: true },
  /** Chats the console called the agent to (offered, theirs, newly waiting) not on screen since. */
  calledTo: new Set(),
};

const els = {
  title: $('#chat-title'),
  status: $('#chat-status'),
  actions: $('#chat-actions'),
  composer: $('#composer'),
  transcript: $('#transcript'),
  erased: $('#chat-erased'),
  hand: $('#raise-hand'),
  monitor: $('#monitor-actions'),
  join: $('#join-chat'),
  participant: $('#participant-actions'),
  presence: $('#customer-presence'),
  participants: $('#chat-participants'),
};
const input = $('#message-input');
const panel = $('#chat-panel');
const composerEls = {
  composer: $('#composer'),
  modeMessage: $('#compose-message'),
  modeNote: $('#compose-note'),
  hint: $('#composer-hint'),
  label: $('#message-label'),
  input,
  send: $('#composer-send'),
};

const oversees = () => ['supervisor', 'administrator'].includes(state.me?.role);

/** A pause reason in words: the built-in ones in the console's, the others as defined. */
function reasonLabel(code) {
  if (code === 'away' || code === 'no_answer') return t(`reason_${code}`);
  return state.pauseReasons.find((r) => r.code === code)?.label ?? code;
}

/** What an agent can pause for (routing's own `no_answer` is not a choice). */
const pauseChoices = () => [{ code: 'away', label: t('reason_away') }, ...state.pauseReasons];

const TABS = ['incoming', 'messages', 'queues', 'history', 'canned', 'admin'];

const userName = (userId) => (userId === state.me?.user_id
  ? state.me.display_name
  : state.users.get(userId)?.display_name ?? state.names.get(userId));
/** A queue's name in the console's language (the board knows the queues the directory may not yet). */
const queueName = (queueId) => localName(state.directory.queues.find((q) => q.queue_id === queueId)
  ?? state.board.find((q) => q.queue_id === queueId)) ?? '–';

// ---- rendering -----------------------------------------------------------------------------

/** Fills `el` only when what it shows changes: a status region speaks on every change. */
function show(el, key, ...children) {
  if (el.dataset.shown === key) return;
  el.dataset.shown = key;
  fill(el, ...children);
}

function presenceLabel({ state: now, logged_in_queues: queues, member_queues: members }) {
  if (now === 'offline') return t('presenceOut');
  return queues.length < members ? t('presenceInSome', { n: queues.length, of: members }) : t('presenceIn');
}

/** The availability control: the state the server holds, with the pause reason or the wrap-up left. */
function renderAvailability() {
  const now = state.availability;
  const loggedIn = now.state !== 'offline';
  const paused = now.state === 'paused';
  const toggle = $('#presence-toggle');
  toggle.setAttribute('aria-pressed', String(loggedIn));
  toggle.classList.toggle('on', loggedIn);
  $('#presence-label').textContent = presenceLabel(now);
  toggle.title = t(loggedIn ? 'logOutQueues' : 'logInQueues');
  const pause = $('#pause-toggle');
  pause.hidden = !loggedIn;
  pause.textContent = t(paused ? 'resume' : 'pause');
  if (paused || !loggedIn) closePauseMenu();
  if (paused) pause.removeAttribute('aria-expanded');
  else pause.setAttribute('aria-expanded', String(!$('#pause-menu').hidden));
  const note = $('#paused-note');
  note.hidden = !paused;
  if (paused) {
    const reason = now.paused_reason === 'no_answer'
      ? t('pausedNoAnswer') : t('pausedFor', { reason: reasonLabel(now.paused_reason) });
    show(note, `${language}:${reason}:${now.paused_since}`, reason, ' · ',
      h('span', { 'aria-live': 'off', dataset: { since: now.paused_since ?? '' } }, formatSince(now.paused_since)));
  }
  const wrapUp = $('#wrap-up-note');
  wrapUp.hidden = now.state !== 'wrap_up';
  if (!wrapUp.hidden) {
    show(wrapUp, `${language}:${now.wrap_up_until}`, t('wrapUpState'), ' · ',
      h('span', { dataset: { until: now.wrap_up_until } }, formatLeft(now.wrap_up_until)));
  }
}

function renderHeader() {
  renderAvailability();
  const unread = totalUnread(state.mine.active);
  const badge = $('#total-unread');
  badge.hidden = unread === 0;
  badge.textContent = String(unread);
  $('#incoming-count').textContent = String(state.waitingTotal);
  const left = state.left.waiting.length;
  $('#left-count').textContent = left >= LEFT_PAGE ? `${LEFT_PAGE}+` : String(left);
  const mentioned = $('#mention-badge');
  mentioned.hidden = state.mentions.length === 0;
  mentioned.textContent = '@';
  mentioned.title = t('mentionsBadge', { n: state.mentions.length });
  const calls = state.alerts.title ? calledCount() : 0;
  document.title = `${calls > 0 ? `(${calls}) ` : ''}Samtale`;
}

function renderIncomingView() {
  renderIncoming($('#incoming'), state.waiting, {
    onPickUp: pickUp, total: state.waitingTotal, queueName, categoryName,
  });
  renderHeader();
}

function renderLeftView() {
  const { left } = state;
  for (const showing of ['waiting', 'answered']) {
    $(`#left-show-${showing}`).setAttribute('aria-pressed', String(left.showing === showing));
  }
  const answered = left.showing === 'answered';
  renderLeftMessages($('#left-messages'), answered ? left.answered : left.waiting, {
    answered,
    queueName,
    userName,
    drafts: left.drafts,
    errors: left.errors,
    sending: left.sending,
    onDraft: (row, text) => {
      left.drafts.set(row.chat_id, text);
      left.errors.delete(row.chat_id);
    },
    onAnswer: answerLeft,
  });
  renderHeader();
}

function renderQueuesView() {
  renderQueues($('#queues'), state.board, {
    queueName,
    agents: state.agentBoard,
    presence: state.presence,
    reasonLabel,
    onAgentPresence: setAgentPresence,
  });
  const ongoing = $('#ongoing');
  ongoing.hidden = !oversees() || !state.ongoing;
  if (!ongoing.hidden) {
    renderOngoing(ongoing, state.ongoing, { queueName, userName, onOpen: (row) => openOngoing(row.chat_id) });
  }
}

function renderAgentBoardView() {
  const root = $('#agent-board');
  root.hidden = !oversees() || !state.agentBoard;
  if (root.hidden) return;
  renderAgentBoard(root, state.agentBoard, {
    reasons: pauseChoices(),
    reasonLabel,
    onPause: (agent, reason) => pauseAgent(agent, { paused: true, reason }),
    onResume: (agent) => pauseAgent(agent, { paused: false }),
    onLogOut: logAgentOut,
  });
}

function renderChart() {
  const root = $('#day-chart');
  root.hidden = !oversees() || !state.report;
  if (root.hidden) return;
  renderDayChart(root, state.report.rows, {
    queues: state.directory.queues,
    choice: state.chartQueue,
    period: state.report.period,
    targets: state.report.targets,
    span: state.chartSpan,
    onSpan: (span) => {
      state.chartSpan = span;
      renderChart();
      $(`#day-chart [data-span="${span}"]`).focus();
    },
    onChoose: (choice) => {
      state.chartQueue = choice;
      renderChart();
      $('#day-chart-queue').focus();
    },
  });
}

function renderHistoryView() {
  if (!oversees()) return;
  renderHistory($('#history'), state.history, { queueName, onAudit: audit });
}

/** The search form, drawn apart from the rows: live reloads of these keep what is typed. */
function renderHistorySearchView() {
  if (!oversees()) return;
  renderHistorySearch($('#history-search'), state.historySearch, {
    queues: state.directory.queues,
    agents: [...state.users.values()].filter((u) => u.role !== 'administrator'),
    queueName,
    onSearch: (search) => {
      state.historySearch = search;
      refreshHistory();
    },
    onExport: (search) => exportHistory(search, notify).catch(failed),
  });
}

function audit(chatId, title) {
  openAudit(chatId, title, {
    names: userName, queueName, me: state.me, failed, notify, onChanged: privacyChanged,
  });
}

/** A hold or an erasure went through (here, or as a live event): every copy follows. */
function privacyChanged({ chat_id: chatId, erased, legal_hold: held }) {
  const loaded = state.chats.get(chatId);
  const rows = state.history.filter((row) => row.chat_id === chatId);
  if (held !== undefined) {
    if (loaded) loaded.legal_hold = held;
    for (const row of rows) row.legal_hold = held;
  }
  if (erased) {
    // The console drops what it holds at once; the reloads below only confirm it.
    if (loaded) dropPersonal(loaded);
    for (const earlier of state.earlier.values()) {
      for (const row of earlier) if (row.chat_id === chatId) row.erased_at ??= new Date().toISOString();
    }
    for (const entry of [...state.mine.active, ...state.mine.passive]) {
      if (entry.chat_id === chatId) entry.customer_name = '';
    }
    for (const row of rows) Object.assign(row, { customer_name: '', erased: true });
  }
  renderLists();
  if (state.selected === chatId) renderSelected();
  renderHistoryView();
}

function renderLists() {
  renderChatLists(state.mine, state.selected, {
    onSelect: select,
    onAccept: acceptOffer,
    onDecline: declineOffer,
    onAnswerInvitation: answerInvitation,
    invitedRoot: $('#invited-chats'),
    offeredRoot: $('#offered-chats'),
    activeRoot: $('#active-chats'),
    passiveRoot: $('#passive-chats'),
  });
  renderMentions($('#mentioned-chats'), state.mentions, { onSelect: select });
  renderWrapUp($('#wrap-up-bar'), state.mine.passive, {
    extended: state.extended,
    onExtend: extendWrapUp,
    onFinish: finishWrapUp,
    onCodes: giveCodes,
  });
  renderHeader();
}

function renderSelected() {
  const chat = state.chats.get(state.selected);
  $('#no-chat').hidden = Boolean(chat);
  $('#chat-view').hidden = !chat;
  $('#customer-info').hidden = !chat;
  if (!chat) return;
  $('#audit-chat').hidden = !oversees();
  renderConversation(els, chat, state.me, { userName, oversees: oversees() });
  renderComposerMode(composerEls, { note: state.noteMode.has(chat.chat_id), messages: mayMessage(chat, state.me) });
  if (!isMine(chat, state.me)) {
    canned.close();
    if (typingIn === chat.chat_id) typingIn = null;
  }
  renderTyping();
  renderCustomerInfo($('#customer-info'), chat, {
    directory: state.directory,
    codeLabel,
    earlier: {
      rows: state.earlier.get(chat.chat_id),
      queueName,
      userName,
      onAudit: oversees() ? (row) => audit(row.chat_id, row.customer_name) : undefined,
    },
  });
}

function renderAll() {
  translate();
  fillTransferTargets($('#transfer-target'), state.directory);
  renderIncomingView();
  renderLeftView();
  renderQueuesView();
  renderAgentBoardView();
  renderPauseMenu();
  renderLists();
  renderSelected();
  renderChart();
  renderHistorySearchView();
  renderHistoryView();
  renderAlertsMenu();
  if (state.tab === 'canned') showCanned();
  if (state.tab === 'admin') showAdmin();
}

let toastTimer;
function notify(text, kind = 'info') {
  const toast = $('#toast');
  toast.textContent = text;
  toast.dataset.kind = kind;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 5000);
}

const failed = (error) => notify(problemText(error), 'error');

// ---- loading -------------------------------------------------------------------------------

async function loadDirectory() {
  const { queues, categories } = await api('/widget/config');
  state.directory = { queues, categories };
  fillTransferTargets($('#transfer-target'), state.directory);
}

/** Chats the incoming list shows: the oldest, however many wait. */
const PAGE = 50;

/** Chats that left the list while a page was being fetched: the page may predate it. */
let leftWhileFetching = null;

async function fetchWaiting() {
  leftWhileFetching = new Set();
  try {
    const { data, headers } = await request(`/chats/waiting?limit=${PAGE}`);
    const total = Number(headers.get('X-Total-Count'));
    const left = leftWhileFetching;
    return {
      waiting: data.filter((c) => !left.has(c.chat_id)),
      waitingTotal: Number.isFinite(total) ? total : data.length,
    };
  } finally {
    leftWhileFetching = null;
  }
}

const refreshWaiting = coalesce(async () => {
  Object.assign(state, await fetchWaiting());
  renderIncomingView();
});

const categoryName = (categoryId) => localName(state.directory.categories
  .find((c) => c.category_id === categoryId)) ?? null;

/** Takes a chat off the incoming list; true if it was shown. */
function removeWaiting(chatId) {
  leftWhileFetching?.add(chatId);
  const before = state.waiting.length;
  state.waiting = state.waiting.filter((c) => c.chat_id !== chatId);
  return state.waiting.length < before;
}

/**
 * Applies a chat event to the incoming list instead of fetching it again: in a surge every
 * console fetching the list on every arrival and pickup was most of the server's work. Only
 * what an event cannot say (where a transferred chat stands in its new queue, the chats
 * behind the page once the page runs low) is fetched, one page at a time.
 */
function applyToIncoming(type, chatId, payload) {
  let refill = false;
  if (type === 'ChatRequested') {
    state.waitingTotal += 1;
    // Newest of all, so last in line; shown only while the page has room.
    const shown = state.waiting.some((c) => c.chat_id === chatId);
    if (!shown && state.waiting.length < PAGE) {
      if (typeof payload.customer_name === 'string') {
        state.waiting.push({
          chat_id: chatId,
          customer_name: payload.customer_name,
          requested_at: payload.at,
          queued_at: payload.at,
          queue_id: payload.queue_id,
          category_id: payload.category_id ?? null,
        });
      } else {
        refill = true;
      }
    }
  } else if (type === 'ChatTransferred' || type === 'ChatRequeued') {
    // Where it stands in its new queue is its original arrival, which the event does not say.
    refill = true;
  } else if (['ChatAssigned', 'ChatEnded', 'CustomerClosedClient'].includes(type)) {
    const shown = removeWaiting(chatId);
    // Only a waiting chat is assigned, and one ended or closed with no agent was waiting.
    const wasWaiting = shown || type === 'ChatAssigned'
      || (type === 'ChatEnded' && !payload.agent_id)
      || (type === 'CustomerClosedClient' && payload.abandoned);
    if (wasWaiting) state.waitingTotal = Math.max(0, state.waitingTotal - 1);
    refill = state.waiting.length < Math.min(PAGE / 2, state.waitingTotal);
  } else {
    return;
  }
  if (refill) refreshWaiting();
  else renderIncomingView();
}

/** The board counts every queue's waiting chats: what the list's total must agree with. */
function reconcileWaiting() {
  const total = state.board.reduce((sum, q) => sum + q.waiting, 0);
  if (total === state.waitingTotal) return;
  state.waitingTotal = total;
  if (state.waiting.length < Math.min(PAGE / 2, total) || state.waiting.length > total) refreshWaiting();
  else renderHeader();
}

async function loadMine() {
  state.mine = await api('/me/chats');
  renderLists();
  // The list may have been counted before the read marker of the chat on screen reached the
  // server: what the agent is looking at is read.
  markRead();
}
const refreshMine = coalesce(loadMine);

/** Chat → the number of its latest load: the answer to an earlier one is older. */
const chatLoads = new Map();

async function loadChat(chatId) {
  const load = (chatLoads.get(chatId) ?? 0) + 1;
  chatLoads.set(chatId, load);
  const chat = await api(`/chats/${chatId}`);
  // Loads cross (several events of one chat each start one): an answer that comes after a
  // later load's would put back an older view, e.g. one from before the customer's rating.
  if (chatLoads.get(chatId) !== load) return state.chats.get(chatId) ?? chat;
  state.chats.set(chatId, chat);
  // The labels of the codes it was wrapped up with, for the customer information.
  if (chat.wrap_up?.codes.length > 0 && !knowsCodes(chat.queue_id)) {
    wrapUpCodes(chat.queue_id).then(() => state.selected === chatId && renderSelected(), () => {});
  }
  if (state.selected === chatId) {
    renderSelected();
    markRead();
  }
  return chat;
}

/** Asked once a chat is opened: what came before it does not change while it goes on. */
async function loadEarlier(chatId) {
  if (state.earlier.has(chatId)) return;
  state.earlier.set(chatId, await api(`/chats/${chatId}/earlier`));
  if (state.selected === chatId) renderSelected();
}

async function loadPauseReasons() {
  state.pauseReasons = await api('/pause-reasons');
}

async function loadAvailability() {
  learnPresence(await api('/me/presence'));
  renderHeader();
  renderQueuesView();
}
const refreshAvailability = coalesce(loadAvailability);

/** The board of agents, while a supervisor has the queue overview open. */
async function loadAgentBoard() {
  if (!oversees() || state.tab !== 'queues') return;
  state.agentBoard = await api('/agents');
  for (const agent of state.agentBoard) {
    for (const queue of agent.queues) state.presence.apply(agent.user_id, [queue.queue_id], queue.logged_in === 1);
  }
  renderAgentBoardView();
  renderQueuesView();
}
// Every routing decision changes someone's row: at most one fetch a second.
const refreshAgentBoard = coalesce(loadAgentBoard, 1000);

async function loadAgents() {
  if (!oversees()) return;
  const users = await api('/users');
  state.users = new Map(users.map((u) => [u.user_id, u]));
}

// Supervisors' day chart: fetched at start and on the stream's board events, at most every 30 s.
const CHART_EVERY = 30_000;
let chartFetched = 0;
let chartTimer = null;

async function loadChart() {
  if (!oversees()) return;
  chartFetched = Date.now();
  const period = today();
  const range = `from=${encodeURIComponent(period.from.toISOString())}&to=${encodeURIComponent(period.to.toISOString())}`;
  // Each queue's target, read with the report: an administrator may have changed it since.
  const [rows, settings] = await Promise.all([
    api(`/reports/queues?${range}`),
    Promise.all(state.directory.queues.map((q) => api(`/queues/${q.queue_id}`))),
  ]);
  const targets = new Map(settings.map((q) => [q.queue_id, q.service_level_target_percent]));
  state.report = { rows, period, targets };
  renderChart();
}

function refreshChart() {
  if (!oversees() || chartTimer) return;
  const wait = Math.max(0, chartFetched + CHART_EVERY - Date.now());
  chartTimer = setTimeout(() => {
    chartTimer = null;
    loadChart().catch((error) => console.warn('day chart', error));
  }, wait);
}

const refreshHistory = coalesce(async () => {
  if (!oversees()) return;
  state.history = await api(`/chats/history?${historyQuery(state.historySearch, 500)}`);
  renderHistoryView();
});

/** A queue's roster (`GET /queues/{id}/agents`); the names in it are remembered. */
async function fetchRoster(queueId) {
  const roster = await api(`/queues/${queueId}/agents`);
  for (const entry of roster) state.names.set(entry.user_id, entry.display_name);
  return roster;
}

/** Queues whose roster was read for names: a name missing from it will not turn up there. */
const rostersRead = new Set();

/** The names of those who answered, for an agent (who cannot list users): their queues' rosters. */
async function learnNames(rows) {
  const queues = new Set(rows
    .filter((row) => row.answered_by && !userName(row.answered_by) && !rostersRead.has(row.queue_id))
    .map((row) => row.queue_id));
  await Promise.all([...queues].map(async (queueId) => {
    rostersRead.add(queueId);
    await fetchRoster(queueId).catch(() => {});
  }));
}

/** The messages waiting for an answer (the badge counts them), and the answered ones on screen. */
const LEFT_PAGE = 100;

async function loadLeft() {
  const answeredShown = state.tab === 'messages' && state.left.showing === 'answered';
  const [waiting, answered] = await Promise.all([
    api(`/left-messages?limit=${LEFT_PAGE}`),
    answeredShown ? api('/left-messages?answered=true') : state.left.answered,
  ]);
  forgetAnsweredDrafts(waiting);
  Object.assign(state.left, { waiting, answered });
  await learnNames(answered);
  renderLeftView();
}
const refreshLeft = coalesce(loadLeft);

/**
 * Drops the drafts of messages no longer waiting. A colleague may have answered one the agent
 * was writing to: the agent is told, rather than the box just vanishing.
 */
function forgetAnsweredDrafts(waiting) {
  const { left } = state;
  const still = new Set(waiting.map((row) => row.chat_id));
  for (const [chatId, draft] of left.drafts) {
    if (still.has(chatId) || left.sending.has(chatId)) continue;
    const row = left.waiting.find((r) => r.chat_id === chatId);
    if (draft.trim() && row) notify(t('leftAnsweredMeanwhile', { name: customerName(row.customer_name) }));
    left.drafts.delete(chatId);
    left.keys.delete(chatId);
    left.errors.delete(chatId);
  }
}

/** Everything, from scratch: at start and whenever the live stream says to resync. */
/** Supervisors and administrators: the chats in progress, raised hands first. */
async function loadOngoing() {
  if (!oversees()) return;
  state.ongoing = await api('/chats/ongoing');
  renderQueuesView();
}
const refreshOngoing = coalesce(() => loadOngoing().catch((error) => console.warn('ongoing', error)));

async function reloadAll() {
  rostersRead.clear();
  refreshOngoing();
  const [board, waiting, mine, presence] = await Promise.all([
    api('/queues'), fetchWaiting(), api('/me/chats'), api('/me/presence'), loadDirectory(), loadAgents(),
    loadPauseReasons(), loadLeft(),
  ]);
  Object.assign(state, { board, mine }, waiting);
  learnPresence(presence);
  state.chats.clear();
  if (state.selected) await loadChat(state.selected).catch(() => { state.selected = null; });
  renderAll();
  if (state.tab === 'admin') showAdmin();
  if (state.tab === 'history') refreshHistory();
  refreshAgentBoard();
  loadChart().catch((error) => console.warn('day chart', error));
}

// ---- the chat panel ------------------------------------------------------------------------

function setPanel(open) {
  panel.hidden = !open;
  $('#panel-toggle').setAttribute('aria-expanded', String(open));
  rememberPanel();
  if (open) markRead();
}

// A reload (or a browser restoring the tab) brings back the panel as it was, with the chat
// that was on screen: kept per tab, and only for the same user.
const PANEL_KEY = 'samtale.console.panel';

function rememberPanel() {
  if (!state.me) return;
  sessionStorage.setItem(PANEL_KEY, JSON.stringify({ user: state.me.user_id, open: !panel.hidden, chat: state.selected }));
}

function recalledPanel(user) {
  const saved = JSON.parse(sessionStorage.getItem(PANEL_KEY) ?? 'null');
  return saved?.user === user.user_id ? saved : null;
}

function onScreen(chatId) {
  return state.selected === chatId && !panel.hidden && document.visibilityState === 'visible';
}

async function select(chatId) {
  if (state.selected) state.drafts.set(state.selected, input.value);
  if (state.selected !== chatId) {
    stopTyping();
    canned.close();
    $('#composer-error').textContent = '';
  }
  state.mentions = state.mentions.filter((m) => m.chat_id !== chatId);
  state.selected = chatId;
  rememberPanel();
  input.value = state.drafts.get(chatId) ?? '';
  renderLists();
  renderSelected();
  await Promise.all([loadChat(chatId), loadEarlier(chatId)]).catch(failed);
  if (isMine(state.chats.get(chatId), state.me)) input.focus();
}

/**
 * Marks the customer's messages in the chat on screen as read, which clears its badge; a chat
 * the agent was called to no longer counts in the tab title once on screen.
 */
function markRead() {
  if (onScreen(state.selected) && state.calledTo.delete(state.selected)) renderHeader();
  const chat = state.chats.get(state.selected);
  // An ended chat stays the agent's to read: its badge clears too once it is on screen.
  const entry = [...state.mine.active, ...state.mine.passive].find((c) => c.chat_id === state.selected);
  if (!chat || !entry || chat.agent_id !== state.me.user_id || !onScreen(chat.chat_id)) return;
  const last = chat.transcript.reduce((max, m) => Math.max(max, m.number), 0);
  if (last <= entry.read_up_to && entry.unread === 0) return;
  entry.read_up_to = last;
  entry.unread = 0;
  renderLists();
  post(`/chats/${chat.chat_id}/read`, { up_to: last }).catch(failed);
}

function addMessage(chatId, message) {
  const chat = state.chats.get(chatId);
  if (chat && !chat.transcript.some((m) => m.number === message.number)) {
    chat.transcript.push(message);
    chat.transcript.sort((a, b) => a.number - b.number);
    if (state.selected === chatId) renderTranscript(els.transcript, chat, state.me, { userName });
  }
}

async function pickUp(waiting, button) {
  button.disabled = true;
  try {
    const chat = await post(`/chats/${waiting.chat_id}/pickup`);
    state.chats.set(chat.chat_id, chat);
    await loadMine();
    setPanel(true);
    await select(chat.chat_id);
  } catch (error) {
    failed(error);
    button.disabled = false;
  }
}

/** A client id for each message, so a retried send is recognised rather than doubled. */
function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function send(event) {
  event.preventDefault();
  const chatId = state.selected;
  const text = input.value;
  if (!chatId || text.trim() === '') return;
  if (writesNotes(chatId)) {
    await writeNote(chatId, text);
    return;
  }
  stopTyping();
  input.value = '';
  state.drafts.delete(chatId);
  try {
    const message = await post(`/chats/${chatId}/messages`, { text, client_message_id: newClientId() });
    addMessage(chatId, message);
  } catch (error) {
    if (state.selected === chatId && input.value === '') input.value = text;
    failed(error);
  }
}

// ---- files ---------------------------------------------------------------------------------

/**
 * Sends each file into the chat on screen, one after another, saying how far each has come;
 * a failed one says why and can be sent again under the same key, so it arrives once.
 */
async function sendFiles(files) {
  const chatId = state.selected;
  if (!chatId || writesNotes(chatId)) return;
  for (const file of files) await sendFile(chatId, file, newIdempotencyKey());
}

async function sendFile(chatId, file, key) {
  const shown = $('#upload-status');
  const say = (...parts) => fill(shown, ...parts);
  say(t('uploading', { name: file.name, percent: 0 }));
  try {
    const line = await upload(`/chats/${chatId}/attachments`, file, key, (done) => {
      say(t('uploading', { name: file.name, percent: Math.round(done * 100) }));
    });
    addMessage(chatId, line);
    say();
  } catch (error) {
    say(t('uploadFailed', { name: file.name, reason: problemText(error) }), ' ',
      h('button', { type: 'button', class: 'link', text: t('retryUpload'), onclick: () => sendFile(chatId, file, key) }));
  }
}

$('#composer-attach').append(attachIcon());
$('#composer-attach').addEventListener('click', () => $('#composer-file').click());
$('#composer-file').addEventListener('change', (event) => {
  const files = [...event.target.files];
  event.target.value = '';
  sendFiles(files);
});
// A screenshot pasted into the box, or files dropped on the conversation, are sent as files.
input.addEventListener('paste', (event) => {
  const files = [...(event.clipboardData?.files ?? [])];
  if (files.length === 0) return;
  event.preventDefault();
  sendFiles(files);
});
els.transcript.addEventListener('dragover', (event) => {
  if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
});
els.transcript.addEventListener('drop', (event) => {
  const files = [...(event.dataTransfer?.files ?? [])];
  if (files.length === 0) return;
  event.preventDefault();
  sendFiles(files);
});

// ---- internal notes, canned responses, typing ----------------------------------------------

/** The composer writes notes in the chat: chosen, or all the reader may write there. */
function writesNotes(chatId) {
  const chat = state.chats.get(chatId);
  return state.noteMode.has(chatId) || Boolean(chat && !mayMessage(chat, state.me));
}

/** The composer writes notes in this chat (or, again, messages to the customer). */
function setNoteMode(on) {
  const chatId = state.selected;
  if (!chatId) return;
  if (on) {
    state.noteMode.add(chatId);
    // A note is no business of the customer's: no "is typing", no canned answer.
    stopTyping();
    canned.close();
  } else {
    state.noteMode.delete(chatId);
  }
  $('#composer-error').textContent = '';
  renderComposerMode(composerEls, { note: on });
  input.focus();
}

/** Writes `text` as a note in the chat; its key stays until the server has the note. */
async function writeNote(chatId, text) {
  input.value = '';
  state.drafts.delete(chatId);
  $('#composer-error').textContent = '';
  if (!state.noteKeys.has(chatId)) state.noteKeys.set(chatId, newIdempotencyKey());
  try {
    const note = await post(`/chats/${chatId}/notes`, { text }, { idempotencyKey: state.noteKeys.get(chatId) });
    state.noteKeys.delete(chatId);
    addNote(chatId, note);
  } catch (error) {
    // Refused: nothing was stored, so the next attempt is a new note.
    if (error.status < 500) state.noteKeys.delete(chatId);
    if (state.selected !== chatId) {
      state.drafts.set(chatId, text);
      failed(error);
      return;
    }
    if (input.value === '') input.value = text;
    noteRefused(error);
  }
}

/** What is wrong with a note goes under the composer, in the console's words. */
function noteRefused(error) {
  const field = error.problem?.errors?.find((e) => e.key === 'text');
  if (!field) {
    failed(error);
    return;
  }
  const named = /@([a-z0-9._-]+)/i.exec(field.problem ?? '')?.[1];
  let text = problemText(error);
  if (field.code === 'required') text = t('noteRequired');
  else if (named) text = t('noteMentionRefused', { name: named });
  $('#composer-error').textContent = text;
}

/** A note from the server (the answer to writing it, or its row) into the chat it belongs to. */
function addNote(chatId, note) {
  const chat = state.chats.get(chatId);
  if (!chat) return;
  chat.notes ??= [];
  if (chat.notes.some((n) => n.note_id === note.note_id)) return;
  chat.notes.push(note);
  chat.notes.sort((a, b) => Date.parse(a.written_at) - Date.parse(b.written_at));
  if (state.selected === chatId) renderTranscript(els.transcript, chat, state.me, { userName });
}

/**
 * A line or a note on the stream from a colleague the loaded chat does not name (a supervisor
 * whispering, one who joined since it was loaded): the chat is read again for their name.
 */
function learnAuthor(chatId, userId) {
  const chat = state.chats.get(chatId);
  if (chat && userId && userId !== state.me.user_id && !staffName(chat, userId, userName)) {
    loadChat(chatId).catch((error) => console.warn('author', error));
  }
}

/** A live `NoteAdded`: shown where the chat is loaded; a colleague who names the agent says so. */
async function onNoteAdded(chatId, payload) {
  const by = payload.by?.user_id ?? null;
  addNote(chatId, {
    note_id: payload.note_id,
    author_id: by,
    text: payload.text ?? '',
    mentions: payload.mentions ?? [],
    whisper: payload.whisper ? 1 : 0,
    written_at: payload.at,
  });
  learnAuthor(chatId, by);
  const me = state.me.user_id;
  if (!(payload.mentions ?? []).includes(me) || by === me) return;
  try {
    const chat = state.chats.get(chatId) ?? await loadChat(chatId);
    let name = staffName(chat, by, userName);
    if (!name) {
      // An agent knows colleagues' names from the rosters of the queues they work.
      await fetchRoster(chat.queue_id).catch(() => {});
      name = userName(by) ?? t('colleague');
    }
    notify(t('mentionedYou', { name, customer: customerName(chat.customer_name) }));
    if (onScreen(chatId)) return;
    state.mentions = [
      { chat_id: chatId, customer_name: chat.customer_name, by_name: name },
      ...state.mentions.filter((m) => m.chat_id !== chatId),
    ];
    renderLists();
  } catch (error) {
    console.warn('mention', error);
  }
}

/** The canned responses' list over the input field, filled in for the chat on screen. */
const canned = cannedMenu({
  input,
  root: $('#canned-menu'),
  load: () => api(`/canned-responses?chat_id=${state.selected}`),
  enabled: () => {
    const chat = state.chats.get(state.selected);
    return Boolean(chat && isMine(chat, state.me) && !state.noteMode.has(chat.chat_id));
  },
  insert: (response) => {
    input.value = cannedText(response, language);
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    // As if typed: the draft, the typing signal and the error line follow.
    input.dispatchEvent(new Event('input', { bubbles: true }));
  },
});

/** Typing signals: `true` at most this often while the agent types. */
const TYPING_EVERY = 2000;
/** A `true` not renewed within this long is forgotten. */
const TYPING_FORGOTTEN = 5000;

/** The chat the agent's last `true` went to (null: none, or `false` sent since), and when. */
let typingIn = null;
let typingAt = 0;

function signalTyping(chatId, typing) {
  post(`/chats/${chatId}/typing`, { typing }).catch((error) => console.warn('typing', error.status ?? error));
}

/** After each change of the field: the customer hears that the agent is typing, or has stopped. */
function typed() {
  const chatId = state.selected;
  const chat = state.chats.get(chatId);
  const toCustomer = chat && isMine(chat, state.me) && !state.noteMode.has(chatId) && !canned.isOpen();
  if (!toCustomer || input.value.trim() === '') {
    stopTyping();
    return;
  }
  if (typingIn !== chatId) stopTyping();
  else if (Date.now() - typingAt < TYPING_EVERY) return;
  typingIn = chatId;
  typingAt = Date.now();
  signalTyping(chatId, true);
}

function stopTyping() {
  if (!typingIn) return;
  const chatId = typingIn;
  typingIn = null;
  typingAt = 0;
  signalTyping(chatId, false);
}

/** The customer's signal from the stream: "The customer is typing…" until it stops. */
function setTyping(chatId, typing) {
  clearTimeout(state.typing.get(chatId));
  if (typing) state.typing.set(chatId, setTimeout(() => setTyping(chatId, false), TYPING_FORGOTTEN));
  else state.typing.delete(chatId);
  if (state.selected === chatId) renderTyping();
}

function renderTyping() {
  const chat = state.chats.get(state.selected);
  const typing = Boolean(chat) && state.typing.has(chat.chat_id) && ['waiting', 'assigned'].includes(chat.status);
  const text = typing ? t('customerTyping') : '';
  const el = $('#typing-indicator');
  // Set only when it changes: a status region speaks on every change.
  if (el.textContent !== text) el.textContent = text;
}

// ---- ending and wrapping up ---------------------------------------------------------------

/**
 * Asks for the chat's wrap-up codes and note and sends them to `/chats/{id}/{path}` (ending
 * it, or giving an ended chat the codes it owes); true once the server took them.
 */
async function recordDisposition(chat, { path, ...wording }) {
  let codes;
  try {
    codes = await wrapUpCodes(chat.queue_id);
  } catch (error) {
    failed(error);
    return false;
  }
  // The dialog may stay open a while after the server answered: a load meanwhile (the
  // customer rated it) has a newer view than the answer.
  const loadsBefore = chatLoads.get(chat.chat_id) ?? 0;
  const view = await askDisposition({
    codes, ...wording, submit: (body) => post(`/chats/${chat.chat_id}/${path}`, body),
  });
  if (!view) return false;
  if ((chatLoads.get(chat.chat_id) ?? 0) === loadsBefore) state.chats.set(chat.chat_id, view);
  if (state.selected === chat.chat_id) renderSelected();
  await afterWrapUpChange();
  return true;
}

function endChat() {
  const chat = state.chats.get(state.selected);
  if (!chat) return;
  recordDisposition(chat, {
    path: 'end',
    title: t('endChatTitle', { name: customerName(chat.customer_name) }),
    text: t('endChatText'),
    confirm: t('endChat'),
  });
}

/** `entry`: an ended chat in the agent's list that owes its queue's code. */
function giveCodes(entry) {
  return recordDisposition(entry, {
    path: 'wrap-up',
    title: t('giveCodesTitle', { name: customerName(entry.customer_name) }),
    text: t('giveCodesText'),
    confirm: t('save'),
    tone: 'primary',
  });
}

async function afterWrapUpChange() {
  await Promise.all([loadMine(), loadAvailability()]).catch(failed);
}

async function extendWrapUp(entry) {
  try {
    await post(`/chats/${entry.chat_id}/wrap-up/extend`);
    state.extended.add(entry.chat_id);
    notify(t('wrapUpExtendedNote'));
  } catch (error) {
    // Extended already, or over: either way there is nothing left to extend.
    if (error.status === 409) state.extended.add(entry.chat_id);
    failed(error);
  }
  await afterWrapUpChange();
}

/** Ready for the next chat; a chat that owes its code gets it first. */
async function finishWrapUp(entry) {
  if (entry.code_owed && !(await giveCodes(entry))) return;
  try {
    await post(`/chats/${entry.chat_id}/wrap-up/finish`);
  } catch (error) {
    failed(error);
  }
  await afterWrapUpChange();
}

async function transfer(event) {
  event.preventDefault();
  const target = $('#transfer-target').value;
  if (!target) return;
  const chatId = state.selected;
  try {
    await post(`/chats/${chatId}/transfer`, transferTarget(target));
    const to = $('#transfer-target').selectedOptions[0]?.textContent ?? '';
    $('#transfer-target').value = '';
    notify(t('transferredTo', { to }));
    // The chat waits in its new queue, no longer the agent's: it leaves the screen with its
    // draft rather than stay there in neither list.
    state.chats.delete(chatId);
    state.drafts.delete(chatId);
    state.selected = null;
    rememberPanel();
    renderSelected();
    await loadMine();
  } catch (error) {
    failed(error);
  }
}

/** The refusal a dialog shows when its confirm button is pressed before a colleague is chosen. */
const NO_COLLEAGUE = Object.assign(new Error('no colleague chosen'), { noColleague: true });

const explainHandOver = (error) => (error.noColleague ? t('chooseColleagueError') : problemText(error));

/**
 * Hands the chat on screen to a colleague the agent picks among those available in its queue
 * (`GET /queues/{id}/agents`). The server checks again: a colleague who paused or filled up
 * meanwhile is a 409, shown in the dialog, which stays open for another choice.
 */
async function handOver() {
  const chat = state.chats.get(state.selected);
  if (!chat || !isMine(chat, state.me)) return;
  let colleagues;
  try {
    colleagues = availableColleagues(await fetchRoster(chat.queue_id), state.me);
  } catch (error) {
    failed(error);
    return;
  }
  if (colleagues.length === 0) {
    notify(t('noColleagues'));
    return;
  }
  const { field, select } = colleagueField(colleagues, 'hand-over-target');
  let answer = null;
  const done = await confirmAction({
    title: t('handOverTitle', { name: customerName(chat.customer_name) }),
    text: t('handOverText'),
    confirm: t('handOverConfirm'),
    tone: 'primary',
    body: [field],
    action: async () => {
      if (!select.value) throw NO_COLLEAGUE;
      const to = colleagues.find((c) => c.user_id === select.value);
      answer = { to, view: await post(`/chats/${chat.chat_id}/hand-over`, { agent_id: to.user_id }) };
    },
    explain: explainHandOver,
  });
  if (!done) return;
  state.chats.set(chat.chat_id, answer.view);
  notify(t('handedOver', { name: answer.to.display_name }));
  renderSelected();
  await loadMine().catch(failed);
}

// ---- help, supervision, colleagues in the conversation -------------------------------------

/** The agent asks for help in the chat on screen, or withdraws the request. */
async function toggleHand() {
  const chat = state.chats.get(state.selected);
  if (!chat || !isMine(chat, state.me)) return;
  try {
    const view = await post(`/chats/${chat.chat_id}/hand`, { raised: !chat.hand_raised });
    state.chats.set(chat.chat_id, view);
    if (state.selected === chat.chat_id) renderSelected();
  } catch (error) {
    failed(error);
  }
}

/** A supervisor opens a chat in progress as a live monitor: read-only until they act. */
async function openOngoing(chatId) {
  setPanel(true);
  await select(chatId);
}

/** A supervisor whispers to the chat's agent: a note only staff see, marked as a whisper. */
async function whisper() {
  const chat = state.chats.get(state.selected);
  if (!chat) return;
  const text = h('textarea', { id: 'whisper-text', rows: '3', maxlength: '4000' });
  const field = h('div', { class: 'form-row' }, h('label', { for: 'whisper-text', text: t('whisperLabel') }), text);
  const key = newIdempotencyKey();
  let note = null;
  const done = await confirmAction({
    title: t('whisperTitle', { name: chat.agent_name ?? t('agent') }),
    text: t('whisperText'),
    confirm: t('whisper'),
    tone: 'primary',
    body: [field],
    action: async () => {
      if (!text.value.trim()) throw Object.assign(new Error('empty'), { whisperEmpty: true });
      note = await post(`/chats/${chat.chat_id}/notes`, { text: text.value, whisper: true }, { idempotencyKey: key });
    },
    explain: (error) => (error.whisperEmpty ? t('whisperRequired') : problemText(error)),
  });
  if (!done) return;
  addNote(chat.chat_id, { ...note, whisper: 1 });
  notify(t('whisperSent'));
}

/** A supervisor joins the conversation uninvited: the customer sees them. */
async function joinChat() {
  const chatId = state.selected;
  try {
    state.chats.set(chatId, await post(`/chats/${chatId}/join`));
    notify(t('joinedChat'));
    renderSelected();
    await loadMine();
  } catch (error) {
    failed(error);
  }
}

/** A colleague in the conversation leaves it. */
async function leaveChat() {
  const chatId = state.selected;
  try {
    state.chats.set(chatId, await post(`/chats/${chatId}/leave`));
    notify(t('leftChat'));
    renderSelected();
    await loadMine();
  } catch (error) {
    failed(error);
  }
}

/** A supervisor takes the chat over: it is theirs, and the customer sees their name. */
async function takeOver() {
  const chat = state.chats.get(state.selected);
  if (!chat) return;
  let view = null;
  const done = await confirmAction({
    title: t('takeOverTitle', { name: customerName(chat.customer_name) }),
    text: t('takeOverText'),
    confirm: t('takeOver'),
    tone: 'primary',
    action: async () => { view = await post(`/chats/${chat.chat_id}/take-over`); },
  });
  if (!done) return;
  state.chats.set(chat.chat_id, view);
  notify(t('tookOver'));
  renderSelected();
  await loadMine().catch(failed);
  refreshOngoing();
}

/** The chat's agent invites a colleague of its queue into the conversation. */
async function inviteColleague() {
  const chat = state.chats.get(state.selected);
  if (!chat || !isMine(chat, state.me)) return;
  const already = new Set((chat.participants ?? []).map((p) => p.user_id));
  let colleagues;
  try {
    colleagues = (await fetchRoster(chat.queue_id))
      .filter((c) => c.logged_in && c.user_id !== state.me.user_id && !already.has(c.user_id));
  } catch (error) {
    failed(error);
    return;
  }
  if (colleagues.length === 0) {
    notify(t('noInvitees'));
    return;
  }
  const { field, select: picked } = colleagueField(colleagues, 'invite-target');
  let to = null;
  const done = await confirmAction({
    title: t('inviteTitle', { name: customerName(chat.customer_name) }),
    text: t('inviteText'),
    confirm: t('inviteConfirm'),
    tone: 'primary',
    body: [field],
    action: async () => {
      if (!picked.value) throw NO_COLLEAGUE;
      to = colleagues.find((c) => c.user_id === picked.value);
      await post(`/chats/${chat.chat_id}/invite`, { user_id: to.user_id });
    },
    explain: explainHandOver,
  });
  if (!done) return;
  notify(t('inviteSent', { name: to.display_name }));
  await loadChat(chat.chat_id).catch(failed);
}

/** The invited colleague joins (the chat opens in their panel) or declines. */
async function answerInvitation(chatId, accept) {
  try {
    await post(`/chats/${chatId}/invitation`, { accept });
    await loadMine();
    if (accept) {
      setPanel(true);
      await select(chatId);
    }
  } catch (error) {
    failed(error);
    refreshMine();
  }
}

/** Events of help, consultation and supervision: what they change, and for whom. */
const CONSULT_EVENTS = new Set(['HandRaised', 'HandLowered', 'ColleagueInvited', 'InvitationDeclined', 'ParticipantJoined', 'ParticipantLeft']);

function onConsultEvent(type, chatId, payload) {
  const me = state.me.user_id;
  if (type === 'HandRaised' || type === 'HandLowered') {
    const chat = state.chats.get(chatId);
    if (chat) chat.hand_raised = type === 'HandRaised';
    refreshOngoing();
    if (state.selected === chatId) renderSelected();
    return;
  }
  const who = payload.invitee ?? payload.user_id;
  if (who === me) refreshMine();
  if (type === 'ColleagueInvited' && who === me) {
    const name = state.chats.get(chatId)?.customer_name;
    loadMine().then(() => {
      const invited = state.mine.invited?.find((c) => c.chat_id === chatId);
      notify(t('invitedYou', { customer: customerName(invited?.customer_name ?? name ?? '') }));
      setPanel(true);
    }, failed);
  }
  if (state.chats.has(chatId)) loadChat(chatId).catch(failed);
}

// ---- left messages -------------------------------------------------------------------------

function showLeft(showing) {
  state.left.showing = showing;
  renderLeftView();
  refreshLeft();
}

/**
 * Sends the answer typed for `row`. Its key stays with the message until the server has
 * taken an answer, so a retry after a lost reply answers as the first attempt did.
 */
async function answerLeft(row) {
  const { left } = state;
  const chatId = row.chat_id;
  const text = left.drafts.get(chatId) ?? '';
  left.errors.delete(chatId);
  if (text.trim() === '') {
    left.errors.set(chatId, t('answerRequired'));
    renderLeftView();
    document.getElementById(`answer-${chatId}`)?.focus();
    return;
  }
  if (!left.keys.has(chatId)) left.keys.set(chatId, newIdempotencyKey());
  left.sending.add(chatId);
  renderLeftView();
  try {
    await post(`/left-messages/${chatId}/answer`, { text }, { idempotencyKey: left.keys.get(chatId) });
    left.drafts.delete(chatId);
    left.keys.delete(chatId);
    notify(t('answerSent', { email: row.email }));
  } catch (error) {
    // Refused: nothing was stored, so the next attempt is a new request.
    if (error.status < 500) left.keys.delete(chatId);
    leftRefused(chatId, error);
  } finally {
    left.sending.delete(chatId);
  }
  await loadLeft().catch(failed);
}

/** What is wrong with the answer goes under its box; that the message is gone, in the toast. */
function leftRefused(chatId, error) {
  const field = error.problem?.errors?.find((e) => e.key === 'text');
  if (field) {
    state.left.errors.set(chatId, field.code === 'required' ? t('answerRequired') : problemText(error));
  } else if (error.status === 404) {
    notify(t('leftMessageGone'), 'error');
  } else {
    failed(error);
  }
}

// ---- presence ------------------------------------------------------------------------------

/** The server's word on the agent's presence: the queues they are in, any pause, any wrap-up. */
function learnPresence(presence) {
  // The server's list replaces what this tab believed (it may have missed changes).
  const believed = state.board.map((q) => q.queue_id);
  state.presence.apply(state.me.user_id, believed, false);
  state.presence.apply(state.me.user_id, presence.logged_in_queues, true);
  state.availability = presence;
}

async function setPause(change) {
  try {
    learnPresence(await post('/me/pause', change));
    renderHeader();
  } catch (error) {
    failed(error);
  }
}

function renderPauseMenu() {
  fill($('#pause-reasons'), pauseChoices().map((reason) => h('li', {},
    h('button', {
      type: 'button',
      class: 'pause-reason',
      dataset: { reason: reason.code },
      onclick: () => {
        closePauseMenu(true);
        setPause({ paused: true, reason: reason.code });
      },
    }, reason.label))));
}

function closePauseMenu(refocus = false) {
  const menu = $('#pause-menu');
  if (menu.hidden) return;
  menu.hidden = true;
  $('#pause-toggle').setAttribute('aria-expanded', 'false');
  if (refocus) $('#pause-toggle').focus();
}

/** Paused: resume. Otherwise the reasons to pause for, read afresh (administrators change them). */
async function togglePause() {
  if (state.availability.state === 'paused') {
    await setPause({ paused: false });
    return;
  }
  const menu = $('#pause-menu');
  if (!menu.hidden) {
    closePauseMenu();
    return;
  }
  renderPauseMenu();
  menu.hidden = false;
  $('#pause-toggle').setAttribute('aria-expanded', 'true');
  menu.querySelector('button')?.focus();
  try {
    const before = JSON.stringify(state.pauseReasons);
    await loadPauseReasons();
    if (!menu.hidden && JSON.stringify(state.pauseReasons) !== before) {
      renderPauseMenu();
      menu.querySelector('button')?.focus();
    }
  } catch (error) {
    console.warn('pause reasons', error);
  }
}

// ---- offers --------------------------------------------------------------------------------

async function acceptOffer(chatId) {
  try {
    const chat = await post(`/chats/${chatId}/accept`);
    state.chats.set(chatId, chat);
    await loadMine();
    select(chatId);
  } catch (error) {
    failed(error);
    await loadMine();
  }
}

async function declineOffer(chatId) {
  try {
    await post(`/chats/${chatId}/decline`);
    notify(t('offerDeclined'));
  } catch (error) {
    failed(error);
  }
  await loadMine();
}

/** In to every queue the agent is a member of, or (logged in to any) out of all. */
async function togglePresence() {
  try {
    learnPresence(await post('/me/presence', { logged_in: state.availability.state === 'offline' }));
    renderHeader();
    renderQueuesView();
  } catch (error) {
    failed(error);
  }
}

async function setAgentPresence(queue, agent, loggedIn) {
  try {
    const answer = await post(`/queues/${queue.queue_id}/agents/${agent.user_id}/presence`, { logged_in: loggedIn });
    state.presence.changed(agent.user_id, [queue.queue_id], loggedIn, answer);
    renderQueuesView();
  } catch (error) {
    failed(error);
  }
}

// ---- the supervisors' board of agents ------------------------------------------------------

async function pauseAgent(agent, change) {
  try {
    await post(`/agents/${agent.user_id}/pause`, change);
    await loadAgentBoard();
  } catch (error) {
    failed(error);
  }
}

/** Out of every queue the board has them logged in to. */
async function logAgentOut(agent) {
  try {
    for (const queue of agent.queues.filter((q) => q.logged_in === 1)) {
      const answer = await post(`/queues/${queue.queue_id}/agents/${agent.user_id}/presence`, { logged_in: false });
      state.presence.changed(agent.user_id, [queue.queue_id], false, answer);
      if (answer.logged_in_queues.length === 0) break;
    }
    renderQueuesView();
    await loadAgentBoard();
  } catch (error) {
    failed(error);
  }
}

// ---- calling the agent: new chats, chats given to them, customers' messages ----------------

/** The agent picks the queue's chats by hand: routing brings them none (logged out of it). */
const picksByHand = (queueId) => state.availability.state !== 'paused'
  && !state.availability.logged_in_queues.includes(queueId);

/**
 * What the tab title counts: every unread customer message in the agent's chats, and every
 * chat the console called them to and they have not had on screen since (an offer, a chat
 * given to them, a chat waiting in a queue they pick by hand), a chat at most once.
 */
function calledCount() {
  const called = (chat) => state.calledTo.has(chat.chat_id);
  const theirs = state.mine.active.reduce((sum, chat) => sum + Math.max(chat.unread, Number(called(chat))), 0);
  const active = new Set(state.mine.active.map((chat) => chat.chat_id));
  const waiting = new Set([...state.mine.offered, ...state.waiting.filter((chat) => picksByHand(chat.queue_id))]
    .filter((chat) => called(chat) && !active.has(chat.chat_id))
    .map((chat) => chat.chat_id));
  return theirs + waiting.size;
}

/**
 * Calls the agent to a chat, each way as they switched it: the tone, a desktop notification
 * that opens the chat when clicked, and (unless `counted` is false: its messages count
 * instead) a count in the tab title until they have had it on screen. `body` may be a
 * promise: the customer's name is not always known yet.
 */
function callAgent(chatId, { title, body, counted = true }) {
  if (counted) state.calledTo.add(chatId);
  renderHeader();
  const said = Promise.resolve(body).catch(() => '');
  // A screen reader says it too, whatever the agent chose for sounds and notifications.
  said.then((text) => { $('#announcer').textContent = text ? `${title}: ${text}` : title; });
  if (state.alerts.sound) chime();
  if (!state.alerts.desktop) return;
  said.then((text) => desktopNotice(title, {
    body: text, tag: chatId, onClick: () => openCalled(chatId),
  }));
}

/** The customer's name for a notification: from what the console holds, else from the chat. */
async function customerOf(chatId, payload) {
  const known = typeof payload.customer_name === 'string' ? payload
    : [...state.waiting, ...state.mine.offered, ...state.mine.active, state.chats.get(chatId)]
      .find((chat) => chat?.chat_id === chatId);
  return customerName((known ?? await api(`/chats/${chatId}`)).customer_name);
}

/**
 * Whether a chat event calls the agent: a new chat waiting in a queue they pick by hand, an
 * offer, a chat made theirs (by routing, a colleague's hand-over). Never for what the agent
 * did themselves, nor for the chat on screen.
 */
function callFor(type, chatId, payload) {
  const me = state.me.user_id;
  if (payload.by?.user_id === me || onScreen(chatId)) return;
  let title = null;
  if (type === 'ChatRequested' && picksByHand(payload.queue_id)) title = t('callWaiting');
  if (type === 'ChatOffered' && payload.agent_id === me) title = t('callOffered');
  if ((type === 'ChatAssigned' && payload.agent_id === me) || (type === 'ChatHandedOver' && payload.to_agent === me)) {
    title = t('callAssigned');
  }
  if (title) callAgent(chatId, { title, body: customerOf(chatId, payload) });
}

/** A click on a desktop notification: the chat it was about, or its offer or its row to pick up. */
function openCalled(chatId) {
  if (state.mine.active.some((chat) => chat.chat_id === chatId)) {
    setPanel(true);
    select(chatId);
  } else if (state.mine.offered.some((chat) => chat.chat_id === chatId)) {
    setPanel(true);
  } else {
    setTab('incoming');
    document.querySelector(`#incoming .pick-up[data-key="${CSS.escape(chatId)}"]`)?.focus();
  }
}

function renderAlertsMenu() {
  renderAlertSettings($('#alerts-menu'), state.alerts, {
    permission: notificationPermission(),
    onChange: setAlert,
    onAllow: () => askPermission(true).then(renderAlertsMenu),
  });
}

/** The agent switches one way of being called; turning desktop notifications on asks the browser. */
async function setAlert(way, on) {
  state.alerts = { ...state.alerts, [way]: on };
  saveAlertSettings(state.me.user_id, state.alerts);
  renderHeader();
  renderAlertsMenu();
  if (way === 'desktop' && on) {
    await askPermission(true);
    renderAlertsMenu();
  }
}

// ---- live ----------------------------------------------------------------------------------

const refreshDirectory = coalesce(async () => {
  await Promise.all([loadDirectory(), loadAgents(), loadPauseReasons()]);
  // A queue or category renamed: every place that names one follows.
  renderIncomingView();
  renderSelected();
  renderHistoryView();
  renderQueuesView();
  renderPauseMenu();
  refreshAgentBoard();
  if (state.tab === 'admin') await showAdmin();
});

const WRAP_UP_EVENTS = new Set(['WrapUpStarted', 'WrapUpExtended', 'WrapUpFinished']);

function onMessageSent(chatId, sent) {
  const fromCustomer = sent.author.kind === 'customer';
  if (fromCustomer) setTyping(chatId, false);
  learnAuthor(chatId, sent.author.user_id);
  addMessage(chatId, {
    message_id: sent.message_id,
    number: sent.number,
    author_kind: sent.author.kind,
    author_id: sent.author.user_id ?? null,
    text: sent.text,
    client_message_id: sent.client_message_id,
    sent_at: sent.at,
  });
  const entry = state.mine.active.find((c) => c.chat_id === chatId);
  if (!entry) return;
  entry.last_message_at = sent.at;
  if (fromCustomer && !onScreen(chatId)) {
    entry.unread += 1;
    // Its unread messages count in the title: the chat itself need not.
    callAgent(chatId, {
      title: t('callMessage', { name: customerName(entry.customer_name) }), body: sent.text ?? '', counted: false,
    });
  }
  renderLists();
  markRead();
}

/** A file is a line like a message: the chat on screen, and the lists, show it at once. */
function onAttachmentSent(chatId, sent) {
  onMessageSent(chatId, { ...sent, text: null, client_message_id: sent.client_id });
  const chat = state.chats.get(chatId);
  const line = chat?.transcript.find((m) => m.number === sent.number);
  if (line) {
    Object.assign(line, {
      message_id: sent.attachment_id,
      attachment_id: sent.attachment_id,
      file_name: sent.name,
      file_type: sent.kind,
      file_size: sent.size,
      file_sha256: sent.sha256,
      text: '',
    });
    if (state.selected === chatId) renderTranscript(els.transcript, chat, state.me, { userName });
  }
}

function onEvent(type, data) {
  const payload = data.event?.[type] ?? {};
  const chatId = data.chat_id;
  const me = state.me.user_id;
  if (type === 'MessageSent') return onMessageSent(chatId, payload);
  if (type === 'AttachmentSent') return onAttachmentSent(chatId, payload);
  if (type === 'NoteAdded') return onNoteAdded(chatId, payload);
  if (CONSULT_EVENTS.has(type)) return onConsultEvent(type, chatId, payload);
  if (type === 'ChatErased' || type === 'LegalHoldPlaced' || type === 'LegalHoldLifted') {
    privacyChanged(type === 'ChatErased'
      ? { chat_id: chatId, erased: true }
      : { chat_id: chatId, legal_hold: type === 'LegalHoldPlaced' });
    refreshAudit(chatId);
    if (state.chats.has(chatId)) loadChat(chatId).catch(failed);
    return;
  }
  if (type === 'CustomerNotified') {
    return addMessage(chatId, {
      message_id: payload.message_id,
      number: payload.number,
      author_kind: 'system',
      author_id: null,
      text: '',
      notice: payload.notice,
      sent_at: payload.at,
    });
  }
  if (type === 'AgentPaused' || type === 'AgentResumed') {
    if (data.aggregate_id === me) refreshAvailability();
    refreshAgentBoard();
    return;
  }
  if (type === 'AgentLoggedIn' || type === 'AgentLoggedOut') {
    state.presence.apply(data.aggregate_id, payload.queues, type === 'AgentLoggedIn');
    if (data.aggregate_id === me) refreshAvailability();
    refreshAgentBoard();
    renderQueuesView();
    return;
  }
  if (DIRECTORY_EVENTS.has(type)) return refreshDirectory();
  // A message left or answered: only the list of left messages (and today's history) change.
  if (type === 'MessageLeft' || type === 'LeftMessageAnswered') {
    refreshLeft();
    if (state.tab === 'history') refreshHistory();
    return;
  }
  // Mail went out (or could not): an answered message on screen says so.
  if (type === 'TranscriptSent' || type === 'TranscriptUndeliverable') {
    if (state.left.answered.some((row) => row.chat_id === chatId)) refreshLeft();
    return;
  }
  if (type === 'MessagesRead') {
    if (payload.agent_id === me) refreshMine();
    return;
  }
  // The customer rated a chat after its end: only its view changes (the comment is in it).
  if (type === 'ChatRated') {
    if (state.chats.has(chatId)) loadChat(chatId).catch(failed);
    return;
  }
  // A chat arrived, moved, ended or was wrapped up: the incoming list, the agent's lists, the
  // chat, and the board of agents change. The agent is called first, while the incoming list
  // still has the chat's name.
  callFor(type, chatId, payload);
  applyToIncoming(type, chatId, payload);
  if (state.tab === 'history') refreshHistory();
  if (['ChatAssigned', 'ChatEnded', 'ChatHandedOver', 'ChatRequeued', 'ChatTransferred', 'CustomerClosedClient'].includes(type)) {
    refreshOngoing();
  }
  refreshAgentBoard();
  if (WRAP_UP_EVENTS.has(type) && payload.agent_id === me) {
    if (type === 'WrapUpExtended') state.extended.add(chatId);
    refreshAvailability();
  }
  const mineBefore = [...state.mine.offered, ...state.mine.active, ...state.mine.passive]
    .some((c) => c.chat_id === chatId);
  const assignedToMe = type === 'ChatAssigned' && payload.agent_id === me;
  // A colleague's hand-over makes it the agent's at once, as an assignment does.
  const handedToMe = type === 'ChatHandedOver' && payload.to_agent === me;
  if (mineBefore || assignedToMe || handedToMe || payload.from_agent === me || payload.agent_id === me) {
    refreshMine();
  }
  if (state.chats.has(chatId)) loadChat(chatId).catch(failed);
  // An offer opens the panel: it moves on unless the agent sees it in time.
  if (type === 'ChatOffered' && payload.agent_id === me) setPanel(true);
  // Chats routed to the agent automatically open in the panel, as picked ones do.
  if ((assignedToMe && payload.via === 'routing') || handedToMe) {
    setPanel(true);
    if (!state.selected) select(chatId);
  }
  if (handedToMe) notify(t('handedToYou'));
}

/** The stream's state in words, in the console's language (again after a switch). */
function showLiveStatus() {
  const el = $('#live-status');
  if (!el.dataset.status) return;
  el.textContent = t(el.dataset.status === 'live' ? 'live' : 'reconnecting');
  el.title = el.textContent;
}

function onLiveStatus(status) {
  $('#live-status').dataset.status = status;
  showLiveStatus();
  // A stream the browser gave up on (the server refused it): check the session, then retry.
  if (status === 'closed') {
    api('/me').then(() => setTimeout(startLive, 3000), () => {});
  }
}

function startLive() {
  state.stopLive?.();
  state.stopLive = connect({
    onEvent,
    onBoard: (queues) => {
      state.board = queues;
      reconcileWaiting();
      renderQueuesView();
      refreshChart();
    },
    onResync: () => reloadAll().catch(failed),
    onStatus: onLiveStatus,
    onTyping: (signal) => {
      if (signal.side === 'customer') setTyping(signal.chat_id, signal.typing);
    },
  });
}

// ---- tabs, session -------------------------------------------------------------------------

async function showAdmin() {
  await renderAdmin($('#admin'), { notify }).catch(failed);
}

async function showCanned() {
  if (!oversees()) return;
  await renderCannedAdmin($('#canned-admin'), { notify }).catch(failed);
}

function setTab(tab) {
  state.tab = tab;
  for (const name of TABS) {
    $(`#tab-${name}`).setAttribute('aria-selected', String(name === tab));
    // One stop in the Tab order for the whole strip; the arrow keys move within it.
    $(`#tab-${name}`).tabIndex = name === tab ? 0 : -1;
    $(`#view-${name}`).hidden = name !== tab;
  }
  if (tab === 'admin') showAdmin();
  if (tab === 'canned') showCanned();
  if (tab === 'history') {
    renderHistorySearchView();
    refreshHistory();
  }
  if (tab === 'queues') loadAgentBoard().catch(failed);
  if (tab === 'messages') refreshLeft();
}

async function startConsole(user) {
  state.me = user;
  state.alerts = alertSettings(user.user_id);
  state.presence = new Presence();
  state.availability = OFFLINE;
  state.agentBoard = null;
  state.extended.clear();
  $('#login-view').hidden = true;
  $('#console-view').hidden = false;
  $('#user-name').textContent = user.display_name;
  $('#console-view').dataset.role = user.role;
  $('#tab-admin').hidden = user.role !== 'administrator';
  $('#tab-history').hidden = !oversees();
  $('#tab-canned').hidden = !oversees();
  state.report = null;
  state.history = [];
  state.historySearch = todaysSearch();
  fill($('#history-search'));
  state.names.clear();
  Object.assign(state.left, { waiting: [], answered: [], showing: 'waiting' });
  setTab('incoming');
  const recalled = recalledPanel(user);
  state.selected = recalled?.chat ?? null;
  await reloadAll();
  if (recalled?.open) setPanel(true);
  // Focus starts where the work does, not on the page's body.
  if (!panel.contains(document.activeElement)) $('#tab-incoming').focus();
  startLive();
}

/** The ARIA tabs pattern: arrows, Home and End pick the tab beside, the first, the last. */
function moveAmongTabs(event) {
  const shown = TABS.filter((name) => !$(`#tab-${name}`).hidden);
  const at = shown.indexOf(state.tab);
  const to = {
    ArrowRight: (at + 1) % shown.length,
    ArrowLeft: (at - 1 + shown.length) % shown.length,
    Home: 0,
    End: shown.length - 1,
  }[event.key];
  if (to === undefined) return;
  event.preventDefault();
  setTab(shown[to]);
  $(`#tab-${shown[to]}`).focus();
}

function showLogin() {
  state.stopLive?.();
  state.stopLive = null;
  state.selected = null;
  state.chats.clear();
  state.earlier.clear();
  state.drafts.clear();
  for (const byChat of [state.left.drafts, state.left.keys, state.left.errors]) byChat.clear();
  state.noteMode.clear();
  state.noteKeys.clear();
  for (const timer of state.typing.values()) clearTimeout(timer);
  state.typing.clear();
  state.mentions = [];
  state.calledTo.clear();
  $('#alerts').open = false;
  typingIn = null;
  canned.close();
  clearTimeout(chartTimer);
  chartTimer = null;
  closePauseMenu();
  if ($('#confirm-dialog').open) $('#confirm-dialog').close('cancel');
  if ($('#audit-dialog').open) $('#audit-dialog').close();
  $('#console-view').hidden = true;
  $('#login-view').hidden = false;
  translate();
  $('#username').focus();
}

async function signIn(event) {
  event.preventDefault();
  // The first sign-in in this browser is the click that may ask for desktop notifications.
  askPermission().catch((error) => console.warn('notifications', error));
  $('#login-error').textContent = '';
  $('#login-note').textContent = '';
  try {
    const { token, user } = await post('/auth/login', {
      username: $('#username').value,
      password: $('#password').value,
    });
    session.token = token;
    $('#password').value = '';
    await startConsole(user);
  } catch (error) {
    $('#login-error').textContent = error.status === 401 ? t('signInFailed') : problemText(error);
  }
}

/** Colleagues available in any of the open chats' queues, each once. */
async function signOutColleagues(open) {
  const queues = [...new Set(open.map((chat) => chat.queue_id))];
  const rosters = await Promise.all(queues.map((queueId) => fetchRoster(queueId).catch(() => [])));
  const byId = new Map();
  for (const colleague of rosters.flatMap((roster) => availableColleagues(roster, state.me))) {
    byId.set(colleague.user_id, colleague);
  }
  return [...byId.values()];
}

/**
 * Asks what becomes of the open chats: back in their queues (where the next agent takes them
 * on, in their places), or all to one colleague. Resolves `{to}` (null: back in the queues),
 * or null when the agent stays.
 */
async function askSignOut(open) {
  const colleagues = await signOutColleagues(open);
  const requeue = h('input', { type: 'radio', name: 'sign-out-choice', id: 'sign-out-requeue', checked: true });
  const handOverAll = h('input', {
    type: 'radio', name: 'sign-out-choice', id: 'sign-out-hand-over', disabled: colleagues.length === 0,
  });
  const { field, select } = colleagueField(colleagues, 'sign-out-colleague');
  select.disabled = true;
  const follow = () => {
    select.disabled = !handOverAll.checked;
    relabelConfirm(t(handOverAll.checked ? 'signOutHandOverConfirm' : 'signOutWithChatsConfirm'));
  };
  requeue.addEventListener('change', follow);
  handOverAll.addEventListener('change', follow);
  let to = null;
  const sure = await confirmAction({
    title: t('signOutWithChatsTitle', { n: open.length }),
    text: t('signOutWithChatsText'),
    confirm: t('signOutWithChatsConfirm'),
    body: [h('fieldset', { class: 'choice-group' },
      h('legend', { text: t('signOutChoice') }),
      h('label', { class: 'choice', for: requeue.id }, requeue, t('signOutRequeue')),
      h('label', { class: 'choice', for: handOverAll.id }, handOverAll, t('signOutHandOver')),
      colleagues.length > 0 ? field : h('p', { class: 'muted field-hint', text: t('signOutNoColleagues') }))],
    action: async () => {
      if (!handOverAll.checked) return;
      if (!select.value) throw NO_COLLEAGUE;
      to = colleagues.find((c) => c.user_id === select.value);
    },
    explain: explainHandOver,
  });
  return sure ? { to } : null;
}

/** Hands `chat` to `to`; false when the server refuses (the chat then goes back to its queue). */
async function handedOver(chat, to) {
  try {
    await post(`/chats/${chat.chat_id}/hand-over`, { agent_id: to.user_id });
    return true;
  } catch (error) {
    console.warn('hand-over at sign-out', error);
    return false;
  }
}

/**
 * Going home: with chats still open, first asked what becomes of them; then out of the queues
 * (no more chats routed here), the chats handed over or back in their queues, and the session
 * ends. Chats a colleague could not take went back to the queue, and the login page says so.
 */
async function signOut() {
  const open = state.mine.active;
  let to = null;
  if (open.length > 0) {
    const choice = await askSignOut(open);
    if (!choice) return;
    ({ to } = choice);
  }
  let fellBack = 0;
  try {
    // Out of the queues first, so that routing does not hand the chats straight back.
    if (state.availability.state !== 'offline') await post('/me/presence', { logged_in: false });
    for (const chat of state.mine.offered) await post(`/chats/${chat.chat_id}/decline`).catch(() => {});
    for (const chat of open) {
      if (to && await handedOver(chat, to)) continue;
      if (to) fellBack += 1;
      await post(`/chats/${chat.chat_id}/requeue`);
    }
  } catch (error) {
    failed(error);
    await loadMine();
    return;
  }
  try {
    await post('/auth/logout');
  } catch (error) {
    console.warn('sign-out', error);
  }
  state.presence.forget();
  session.token = null;
  showLogin();
  if (to) {
    $('#login-note').textContent = fellBack > 0
      ? t('signedOutFellBack', { n: fellBack, name: to.display_name })
      : t('signedOutHandedOver', { name: to.display_name });
  }
}

// ---- wiring --------------------------------------------------------------------------------

function wire() {
  for (const select of document.querySelectorAll('.language-select')) {
    for (const [code, name] of Object.entries(languages)) {
      select.append(new Option(name, code, false, code === language));
    }
    select.addEventListener('change', () => {
      setLanguage(select.value);
      for (const other of document.querySelectorAll('.language-select')) other.value = select.value;
      if (state.me) renderAll();
      else translate();
      showLiveStatus();
    });
  }
  $('#panel-toggle').prepend(chatIcon());
  $('#alerts-toggle').append(bellIcon());
  for (const gesture of ['pointerdown', 'keydown']) document.addEventListener(gesture, prepareSound, { once: true });
  $('#close-panel').append(closeIcon());
  $('#audit-close').append(closeIcon());
  wireAudit();
  wireConfirm();
  $('#audit-chat').addEventListener('click', () => {
    const chat = state.chats.get(state.selected);
    if (chat) audit(chat.chat_id, chat.customer_name);
  });
  $('#login-form').addEventListener('submit', signIn);
  $('#sign-out').addEventListener('click', signOut);
  $('#pause-toggle').addEventListener('click', togglePause);
  setInterval(() => tickOffers($('#offered-chats')), 1000);
  $('#presence-toggle').addEventListener('click', togglePresence);
  $('#panel-toggle').addEventListener('click', () => setPanel(panel.hidden));
  $('#close-panel').addEventListener('click', () => {
    setPanel(false);
    $('#panel-toggle').focus();
  });
  for (const name of TABS) {
    $(`#tab-${name}`).addEventListener('click', () => setTab(name));
  }
  $('.tabs').addEventListener('keydown', moveAmongTabs);
  $('#composer').addEventListener('submit', send);
  $('#compose-message').addEventListener('click', () => setNoteMode(false));
  $('#compose-note').addEventListener('click', () => setNoteMode(true));
  input.addEventListener('input', () => {
    $('#composer-error').textContent = '';
    canned.update();
    typed();
  });
  input.addEventListener('blur', () => {
    stopTyping();
    canned.close();
  });
  input.addEventListener('keydown', (event) => {
    // The canned responses' list, while open, has the arrow keys, Enter, Tab and Escape.
    if (canned.keydown(event)) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $('#composer').requestSubmit();
    }
  });
  $('#end-chat').addEventListener('click', endChat);
  $('#hand-over').addEventListener('click', handOver);
  $('#raise-hand').addEventListener('click', toggleHand);
  $('#invite-colleague').addEventListener('click', inviteColleague);
  $('#whisper').addEventListener('click', whisper);
  $('#join-chat').addEventListener('click', joinChat);
  $('#take-over').addEventListener('click', takeOver);
  $('#leave-chat').addEventListener('click', leaveChat);
  // Whether the customer still has the chat open is no event: the chat on screen asks again.
  setInterval(() => {
    const chat = state.chats.get(state.selected);
    if (chat?.status === 'assigned' && !panel.hidden && document.visibilityState === 'visible') {
      loadChat(chat.chat_id).catch(() => {});
    }
  }, 30_000);
  $('#left-show-waiting').addEventListener('click', () => showLeft('waiting'));
  $('#left-show-answered').addEventListener('click', () => showLeft('answered'));
  $('#transfer-form').addEventListener('submit', transfer);
  document.addEventListener('visibilitychange', markRead);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !panel.hidden && panel.contains(document.activeElement)) {
      setPanel(false);
      $('#panel-toggle').focus();
    }
  });
  setInterval(() => {
    tickSince(document.body);
    // A wrap-up ran out (the stream says nothing of it): the lists and states move on.
    if (tickUntil(document.body)) {
      refreshMine();
      refreshAvailability();
      refreshAgentBoard();
    }
  }, 1000);
  // The pause and alert menus close on Escape and on a click anywhere else.
  $('#pause-menu').addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      closePauseMenu(true);
    }
  });
  const alerts = $('#alerts');
  alerts.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && alerts.open) {
      event.stopPropagation();
      alerts.open = false;
      $('#alerts-toggle').focus();
    }
  });
  document.addEventListener('click', (event) => {
    if (!event.target.closest('.pause-control')) closePauseMenu();
    if (!event.target.closest('#alerts')) alerts.open = false;
  });
  whenUnauthorized(() => {
    session.token = null;
    showLogin();
  });
}

wire();
if (session.token) {
  api('/me').then(startConsole).catch(showLogin);
} else {
  showLogin();
}
