// The live stream, and how the console calls the agent to what it brings. The browser's
// EventSource reconnects by itself after a network drop and sends Last-Event-ID (the log
// position of the last event it saw); the server replays what was missed, so nothing is lost
// or doubled. A `resync` event means the server could not resume from that position: the
// caller reloads everything.

import { eventsUrl } from './api.js';
import { fill, h, rerender } from './dom.js';
import { t } from './i18n.js';

/** The directory's events: the console reloads the directory (names, queues, users) on each. */
export const DIRECTORY_EVENTS = new Set([
  'UserCreated', 'UserUpdated', 'QueueCreated', 'QueueRenamed', 'QueueRemoved', 'QueueMemberAdded',
  'QueueMemberRemoved', 'CategoryCreated', 'CategoryUpdated', 'CategoryRemoved',
  'FormFieldDefined', 'FormFieldRemoved', 'FormFieldsOrdered',
  'PauseReasonDefined', 'PauseReasonRemoved', 'WrapUpCodeDefined', 'WrapUpCodeRemoved',
]);

const EVENT_TYPES = [
  'ChatRequested', 'ChatAssigned', 'MessageSent', 'AttachmentSent', 'MessagesRead', 'NoteAdded', 'ChatTransferred',
  'ChatEnded', 'CustomerClosedClient', 'ChatErased', 'LegalHoldPlaced', 'LegalHoldLifted',
  'ChatOffered', 'OfferDeclined', 'OfferExpired', 'OfferWithdrawn', 'ChatRequeued',
  'ChatWrappedUp', 'ChatRated', 'WrapUpStarted', 'WrapUpExtended', 'WrapUpFinished',
  'ChatHandedOver', 'HandRaised', 'HandLowered', 'ColleagueInvited', 'InvitationDeclined',
  'ParticipantJoined', 'ParticipantLeft', 'MessageLeft', 'LeftMessageAnswered', 'TranscriptSent', 'TranscriptUndeliverable',
  'AgentLoggedIn', 'AgentLoggedOut', 'AgentPaused', 'AgentResumed',
  ...DIRECTORY_EVENTS,
];

/**
 * Opens the stream. `onEvent(type, data)` gets every domain event, with `data.event[type]`
 * as its payload; `onBoard(queues)`, `onResync()` and `onStatus('live'|'reconnecting'|'closed')`
 * the rest; `onTyping({chat_id, side, name, typing})` the customers' typing signals (no log
 * event: never replayed after a reconnect). Returns a function that closes the stream.
 */
export function connect({
  onEvent, onBoard, onResync, onStatus, onTyping,
}) {
  const source = new EventSource(eventsUrl());
  const parse = (handler) => (message) => {
    try {
      handler(JSON.parse(message.data));
    } catch (error) {
      console.error('bad live event', error);
    }
  };
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, parse((data) => onEvent(type, data)));
  }
  source.addEventListener('board', parse((data) => onBoard(data.queues)));
  source.addEventListener('typing', parse((data) => onTyping?.(data)));
  source.addEventListener('resync', () => onResync());
  source.addEventListener('open', () => onStatus('live'));
  source.addEventListener('error', () => {
    onStatus(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  });
  return () => source.close();
}

// ---- calling the agent ---------------------------------------------------------------------
// What the stream brings is often for an agent who is looking elsewhere: another chat, another
// window. A tone, a desktop notification and a count in the tab title call them back; each is
// the agent's to switch off, kept in this browser under their user id.

/** The ways of calling the agent, in the order the settings list them. */
export const ALERT_WAYS = ['sound', 'desktop', 'title'];

const alertsKey = (userId) => `samtale.alerts.${userId}`;
/** Set once the browser has been asked at sign-in: a sign-in never asks a second time. */
const ASKED_KEY = 'samtale.alerts.asked';

/** The agent's switches as they left them in this browser; all on for an agent new here. */
export function alertSettings(userId) {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(alertsKey(userId))) ?? {};
  } catch {
    // Not written by this console: the defaults stand.
  }
  return Object.fromEntries(ALERT_WAYS.map((way) => [way, saved[way] !== false]));
}

export function saveAlertSettings(userId, settings) {
  localStorage.setItem(alertsKey(userId), JSON.stringify(settings));
}

/** What the browser allows: `granted`, `denied`, `default` (not decided) or `unsupported`. */
export const notificationPermission = () => (typeof Notification === 'undefined'
  ? 'unsupported' : Notification.permission);

/**
 * Asks the browser for leave to show desktop notifications; browsers only ask on a click. At
 * sign-in that happens once in this browser; `again` is the agent turning them on themselves.
 * A refusal is never asked about again: the browser has the agent's answer.
 */
export async function askPermission(again = false) {
  if (notificationPermission() !== 'default') return notificationPermission();
  if (!again && localStorage.getItem(ASKED_KEY)) return 'default';
  localStorage.setItem(ASKED_KEY, 'asked');
  return Notification.requestPermission();
}

/** A desktop notification, where the browser allows them; a click brings the console forward. */
export function desktopNotice(title, { body, tag, onClick }) {
  if (notificationPermission() !== 'granted') return;
  // One per chat (`tag`): a burst of messages replaces the notification rather than stack up.
  const notice = new Notification(title, { body, tag, lang: document.documentElement.lang });
  notice.addEventListener('click', () => {
    window.focus();
    notice.close();
    onClick();
  });
}

let audio = null;

/**
 * Readies the tone on the agent's first click or key press: a browser starts an AudioContext
 * made without one suspended, and a tone scheduled in it would sound only at the next click.
 */
export function prepareSound() {
  audio ??= new AudioContext();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
}

/** A short, soft two-note chime, synthesised: there is no audio file to fetch or to cache. */
export function chime() {
  if (audio?.state !== 'running') return;
  const now = audio.currentTime;
  tone(660, now);
  tone(880, now + 0.14);
}

/** One sine note that swells in and dies away within half a second. */
function tone(pitch, at) {
  const note = new OscillatorNode(audio, { type: 'sine', frequency: pitch });
  const level = new GainNode(audio, { gain: 0 });
  level.gain.setValueAtTime(0, at);
  level.gain.linearRampToValueAtTime(0.08, at + 0.02);
  level.gain.exponentialRampToValueAtTime(0.0001, at + 0.45);
  note.connect(level).connect(audio.destination);
  note.start(at);
  note.stop(at + 0.5);
}

/**
 * The switches, in the top bar's menu. `permission` says whether the browser lets desktop
 * notifications through; `onChange(way, on)` and `onAllow()` (ask the browser) are the agent's.
 */
export function renderAlertSettings(root, settings, { permission, onChange, onAllow }) {
  const blocked = settings.desktop && permission !== 'granted';
  rerender(root, () => fill(root,
    h('legend', { class: 'alerts-title', text: t('alertsTitle') }),
    ALERT_WAYS.map((way) => h('label', { class: 'choice alert-way', for: `alert-${way}` },
      h('input', {
        type: 'checkbox',
        id: `alert-${way}`,
        checked: settings[way],
        dataset: { key: way },
        onchange: (event) => onChange(way, event.target.checked),
      }),
      t(`alert_${way}`))),
    blocked && h('p', { class: 'field-hint alerts-hint', text: t(`alertPermission_${permission}`) }),
    blocked && permission === 'default' && h('button', {
      type: 'button', class: 'button small', dataset: { key: 'allow' }, text: t('alertAllow'), onclick: onAllow,
    })));
}
