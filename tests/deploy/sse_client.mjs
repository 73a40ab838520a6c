// How tests/deploy/resume.mjs talks to the test's nginx: HTTPS requests from a chosen local
// address (so nginx sees distinct clients on one machine), verified against the test's
// certificate, and an SSE client that does what a browser's EventSource does — the token in
// the URL (`?access_token=`, as the console and the widget send it), `Last-Event-ID` on
// reconnect, a fixed reconnection delay — and records every event and every connection.
// Unlike a browser it also retries after a non-200 answer, and counts those, so that a
// failover that answered 502 shows up as a failure. Node's built-ins only.
//
// Reads BASE (https://127.0.0.1:PORT) and CA (the certificate file) from the environment.

import https from 'node:https';
import fs from 'node:fs';

const BASE = new URL(process.env.BASE);
const CA = fs.readFileSync(process.env.CA);
/** The client's reconnection delay; browsers use a few seconds. */
export const RETRY_MS = 500;
/** No single step may take longer than this. */
export const STEP_MS = 15_000;

export function fail(message) {
  throw new Error(message);
}

/** Every node nginx tried for a request ($upstream_addr), in order; the last one answered. */
export function triedOf(headers) {
  const tried = String(headers['x-upstream'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return tried.length ? tried : fail('no X-Upstream header: is this the test configuration?');
}
export const upstreamOf = (headers) => triedOf(headers).at(-1);

/** One HTTPS request through nginx from local address `from`. */
export function call(method, path, { token, body, from = '127.0.0.1', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = https.request({
      host: BASE.hostname,
      port: BASE.port,
      method,
      path,
      ca: CA,
      localAddress: from,
      agent: false,
      timeout: STEP_MS,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => {
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = text; }
        resolve({ status: response.statusCode, headers: response.headers, json });
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${path} timed out`)));
    request.on('error', reject);
    request.end(payload);
  });
}

/** An EventSource-like client that records every event and every connection. */
export class Stream {
  constructor(name, path, token, from) {
    Object.assign(this, { name, path, token, from });
    /** Reconnections wait for this as well as for the delay (see the kill, below). */
    this.hold = Promise.resolve();
    this.lastId = null;
    this.events = []; // {id, type, data, at}
    this.violations = [];
    this.connections = []; // {node, status, openedAt, closedAt, lastEventId}
    this.refusals = 0;
    this.closed = false;
    this.waiters = [];
  }

  open() {
    const url = `${this.path}?access_token=${encodeURIComponent(this.token)}`;
    const headers = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (this.lastId !== null) headers['last-event-id'] = String(this.lastId);
    const connection = { node: null, status: null, requestedAt: Date.now(), lastEventId: this.lastId };
    this.connections.push(connection);
    const request = https.get({
      host: BASE.hostname, port: BASE.port, path: url, ca: CA, localAddress: this.from, agent: false, headers,
    }, (response) => {
      connection.status = response.statusCode;
      connection.openedAt = Date.now();
      connection.tried = response.headers['x-upstream'] ? triedOf(response.headers) : [];
      connection.node = connection.tried.at(-1) ?? null;
      connection.contentType = response.headers['content-type'];
      if (response.statusCode !== 200) {
        this.refusals += 1;
        response.resume();
        response.on('end', () => this.ended(connection));
        return;
      }
      this.notify();
      response.setEncoding('utf8');
      let buffer = '';
      let frame = { data: [] };
      response.on('data', (chunk) => {
        buffer += chunk;
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop();
        for (const line of lines) {
          if (line === '') {
            if (frame.data.length) this.dispatch(frame);
            frame = { data: [] };
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let value = colon < 0 ? '' : line.slice(colon + 1);
            if (value.startsWith(' ')) value = value.slice(1);
            if (field === 'data') frame.data.push(value);
            else if (field === 'event') frame.type = value;
            else if (field === 'id') frame.id = value;
          }
        }
      });
      response.on('close', () => this.ended(connection));
      response.on('error', () => {});
    });
    request.on('error', () => this.ended(connection));
  }

  ended(connection) {
    if (connection.closedAt) return;
    connection.closedAt = Date.now();
    this.notify();
    if (!this.closed) this.hold.then(() => setTimeout(() => this.open(), RETRY_MS));
  }

  dispatch(frame) {
    const event = { type: frame.type ?? 'message', data: JSON.parse(frame.data.join('\n')), at: Date.now() };
    if (frame.id !== undefined) {
      event.id = Number(frame.id);
      if (this.lastId !== null && !(event.id > this.lastId)) {
        this.violations.push(`id ${event.id} after ${this.lastId}`);
      }
      this.lastId = event.id;
    }
    this.events.push(event);
    this.notify();
  }

  /** The texts of the messages this stream carried, each as often as it came. */
  messages() {
    return this.events.filter((e) => e.type === 'MessageSent').map((e) => e.data.event.MessageSent.text);
  }

  notify() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Waits until `ready()` holds, re-checked on every event and connection change. */
  async until(ready, what) {
    const deadline = Date.now() + STEP_MS;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) fail(`${this.name} stream: ${what} did not happen within ${STEP_MS} ms`);
      await new Promise((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.min(left, 250));
      });
    }
  }

  close() {
    this.closed = true;
  }
}
