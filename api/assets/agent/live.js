// The live stream. The browser's EventSource reconnects by itself after a network drop and
// sends Last-Event-ID (the log position of the last event it saw); the server replays what was
// missed, so nothing is lost or doubled. A `resync` event means the server could not resume
// from that position: the caller reloads everything.

import { eventsUrl } from './api.js';

const EVENT_TYPES = [
  'ChatRequested', 'ChatAssigned', 'MessageSent', 'MessagesRead', 'NoteAdded', 'ChatTransferred',
  'ChatEnded', 'CustomerClosedClient', 'ChatErased', 'LegalHoldPlaced', 'LegalHoldLifted',
  'ChatOffered', 'OfferDeclined', 'OfferExpired', 'OfferWithdrawn', 'ChatRequeued',
  'ChatWrappedUp', 'ChatRated', 'WrapUpStarted', 'WrapUpExtended', 'WrapUpFinished',
  'ChatHandedOver', 'HandRaised', 'HandLowered', 'ColleagueInvited', 'InvitationDeclined',
  'ParticipantJoined', 'ParticipantLeft', 'MessageLeft', 'LeftMessageAnswered', 'TranscriptSent', 'TranscriptUndeliverable',
  'AgentLoggedIn', 'AgentLoggedOut', 'AgentPaused', 'AgentResumed',
  'UserCreated', 'UserUpdated', 'QueueCreated', 'QueueMemberAdded', 'QueueMemberRemoved',
  'CategoryCreated', 'FormFieldDefined', 'FormFieldRemoved',
  'PauseReasonDefined', 'PauseReasonRemoved', 'WrapUpCodeDefined', 'WrapUpCodeRemoved',
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
