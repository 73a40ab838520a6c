// Who is logged in to which queue, as far as the console knows: the agent's own presence as
// the server has it (read when the console loads and after each change), others' learnt from
// the presence changes made here and from the live events naming the queues someone logged
// in to or out of. What was never learnt stays unknown. The queue overview's agent lists
// show it; the agent's own state (and a supervisor's board of everyone's) is read whole from
// the server instead.

export class Presence {
  constructor() {
    /** `user:queue` → logged in? */
    this.known = new Map();
  }

  /** true, false, or undefined when not known. */
  state(userId, queueId) {
    return this.known.get(`${userId}:${queueId}`);
  }

  /**
   * A presence change succeeded: the user is now in (or out of) `queues`. The answer lists the
   * queues they are in, but may be read a moment before a concurrent change lands, so it only
   * adds knowledge; the change itself has the last word on its own queues.
   */
  changed(userId, queues, loggedIn, answer) {
    this.apply(userId, answer.logged_in_queues, true);
    this.apply(userId, queues, loggedIn);
  }

  apply(userId, queues, loggedIn) {
    for (const queue of queues) this.known.set(`${userId}:${queue}`, loggedIn);
  }

  forget() {
    this.known.clear();
  }
}
