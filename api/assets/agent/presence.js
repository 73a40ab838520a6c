// Who is logged in to which queue, as far as the console knows: the agent's own presence as
// the server has it (read when the console loads), others' learnt from the presence changes
// made here and from the live events naming the queues someone logged in to or out of. What
// was never learnt stays unknown. The agent's own state also survives a reload of the page.

const STORAGE_KEY = 'samtale.presence';

export class Presence {
  constructor(me = null) {
    this.me = me;
    /** `user:queue` → logged in? */
    this.known = new Map();
    const saved = me && JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '{}');
    if (saved?.user === me) {
      for (const queue of saved.queues) this.known.set(`${me}:${queue}`, true);
    }
  }

  /** true, false, or undefined when not known. */
  state(userId, queueId) {
    return this.known.get(`${userId}:${queueId}`);
  }

  mineLoggedIn() {
    return [...this.known].some(([key, on]) => on && key.startsWith(`${this.me}:`));
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
    if (userId === this.me) this.save();
  }

  save() {
    const queues = [...this.known]
      .filter(([key, on]) => on && key.startsWith(`${this.me}:`))
      .map(([key]) => key.slice(this.me.length + 1));
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ user: this.me, queues }));
  }

  forget() {
    this.known.clear();
    sessionStorage.removeItem(STORAGE_KEY);
  }
}
