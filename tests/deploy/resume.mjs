// The streams part of tests/deploy/nginx.sh: an agent and a customer talk through nginx over
// HTTPS, each with their SSE stream open; the node both streams go through is killed with
// SIGKILL; while it is down both sides go on writing; the streams reconnect through nginx with
// Last-Event-ID, land on the other node, and every message arrives on each stream exactly once.
// The clients are in sse_client.mjs.
//
// Input (environment): BASE (https://127.0.0.1:PORT), CA (the test certificate), NODES (JSON:
// {"127.0.0.1:PORT": pid, ...}, the upstream addresses nginx names in X-Upstream),
// ACCESS_LOG and ERROR_LOG (nginx's), AGENT and PASSWORD. Prints a summary as JSON on the last
// line; exits non-zero on any failure.

import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  call, fail, RETRY_MS, STEP_MS, Stream, triedOf, upstreamOf,
} from './sse_client.mjs';

const NODES = JSON.parse(process.env.NODES);
const AGENT = process.env.AGENT ?? 'kari';
const PASSWORD = process.env.PASSWORD ?? 'samtale-demo';

const started = Date.now();
const since = (t) => Date.now() - t;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const log = (...words) => console.log(`  [resume.mjs +${since(started)} ms]`, ...words);

async function expect(status, promise, what) {
  const answer = await promise;
  if (answer.status !== status) {
    fail(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.json)}`);
  }
  return answer;
}

/**
 * A message, sent until it is answered 201. A request in flight when its node dies, or a 5xx,
 * is sent again with the same client_message_id, which Samtale answers with the first
 * attempt's message if that one was stored.
 */
async function send(path, token, from, text, failover) {
  const body = { text, client_message_id: randomUUID() };
  const t0 = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    const answer = await call('POST', path, { token, from, body }).catch((error) => ({ error }));
    if (answer.status === 201) {
      failover.sends.push({ text, ms: since(t0), attempts: attempt, tried: triedOf(answer.headers) });
      return answer.json;
    }
    if (answer.status !== undefined && answer.status < 500) {
      fail(`sending "${text}": ${answer.status} ${JSON.stringify(answer.json)}`);
    }
    failover.refused.push(`"${text}": ${answer.status ?? answer.error.message}`);
    if (since(t0) > STEP_MS) fail(`"${text}" was not accepted within ${STEP_MS} ms`);
    await sleep(200);
  }
}

async function main() {
  const failover = { sends: [], refused: [] };

  // The agent: logged in through nginx, ready in their queues, their stream open.
  const login = await expect(200, call('POST', '/api/v1/auth/login', { body: { username: AGENT, password: PASSWORD } }), 'agent login');
  const agentToken = login.json.token;
  await expect(200, call('POST', '/api/v1/me/presence', { token: agentToken, body: { logged_in: true } }), 'agent ready');
  const agent = new Stream('agent', '/api/v1/events', agentToken, '127.0.0.1');
  agent.open();
  await agent.until(() => agent.connections[0].status !== null, 'opening');
  if (agent.connections[0].status !== 200) fail(`agent stream: ${agent.connections[0].status}`);
  if (!String(agent.connections[0].contentType).startsWith('text/event-stream')) fail(`agent stream: ${agent.connections[0].contentType}`);
  const doomed = agent.connections[0].node;
  log(`agent ${AGENT} ready; stream from 127.0.0.1 went through node ${doomed}`);

  // The customer comes from another address: the first one nginx's hash sends to the agent's
  // node, so that killing that one node cuts both streams.
  let from = null;
  for (let host = 10; host < 60 && !from; host += 1) {
    const probe = await expect(200, call('GET', '/healthz', { from: `127.0.0.${host}` }), 'probe');
    if (upstreamOf(probe.headers) === doomed) from = `127.0.0.${host}`;
  }
  if (!from) fail(`no address in 127.0.0.10-59 hashes to ${doomed}`);
  const config = await expect(200, call('GET', '/api/v1/widget/config', { from }), 'widget config');
  const category = config.json.categories[0].category_id;
  const start = await expect(201, call('POST', '/api/v1/customer/chats', {
    from, body: { category_id: category, name: 'Nora', fields: { email: 'nora@example.no' } },
  }), 'chat start');
  const chat = start.json.chat_id;
  const customerToken = start.json.customer_token;
  await expect(200, call('POST', `/api/v1/chats/${chat}/pickup`, { token: agentToken }), 'pickup');
  const customer = new Stream('customer', `/api/v1/customer/chats/${chat}/events`, customerToken, from);
  customer.open();
  await customer.until(() => customer.connections[0].status !== null, 'opening');
  if (customer.connections[0].status !== 200) fail(`customer stream: ${customer.connections[0].status}`);
  if (customer.connections[0].node !== doomed) {
    fail(`the customer's stream went through ${customer.connections[0].node}, not ${doomed}`);
  }
  log(`customer at ${from} started chat ${chat}, ${AGENT} picked it up; customer stream through ${doomed}`);

  const agentPath = `/api/v1/chats/${chat}/messages`;
  const customerPath = `/api/v1/customer/chats/${chat}/messages`;
  const sent = [];
  const says = async (who, text) => {
    sent.push(text);
    return who === 'agent'
      ? send(agentPath, agentToken, '127.0.0.1', text, failover)
      : send(customerPath, customerToken, from, text, failover);
  };
  const bothHave = (texts) => () => texts.every((t) => agent.messages().includes(t) && customer.messages().includes(t));

  // Before: delivery is immediate (nothing buffers the stream on the way).
  const latencies = [];
  for (const [who, text] of [['customer', 'før 1: hei'], ['agent', 'før 2: hei, Nora'], ['customer', 'før 3: fakturaen'], ['agent', 'før 4: ser på den']]) {
    const t0 = Date.now();
    await says(who, text);
    const other = who === 'agent' ? customer : agent;
    await other.until(() => other.messages().includes(text), `"${text}"`);
    latencies.push(since(t0));
  }
  await agent.until(bothHave(sent), 'the first messages');
  await customer.until(bothHave(sent), 'the first messages');
  const worstLatency = Math.max(...latencies);
  if (worstLatency > 2000) fail(`a message took ${worstLatency} ms from send to the other stream: buffered?`);
  log(`4 messages before the kill, each on the other side's stream within ${worstLatency} ms of being sent`);

  // The kill. The streams stay away until the messages written while the node is down are
  // stored, so that those reach them from the log, on resume, and not from the live feed.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  agent.hold = held;
  customer.hold = held;
  const pid = NODES[doomed] ?? fail(`no pid for ${doomed} in ${JSON.stringify(NODES)}`);
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  log(`SIGKILL to node ${doomed} (pid ${pid})`);

  // While it is down, and before the streams are back: both sides write.
  for (const [who, text] of [['customer', 'under 1: er dere der?'], ['agent', 'under 2: ja, her'], ['customer', 'under 3: bra'], ['agent', 'under 4: et øyeblikk']]) {
    await says(who, text);
  }
  const sentWhileDown = Date.now();
  const down = failover.sends.slice(4);
  log(`4 messages accepted while ${doomed} is down (the first in ${down[0].ms} ms); nginx tried: `
    + down.map((d) => d.tried.join(' then ')).join('; '));
  if (down.some((d) => d.tried.at(-1) === doomed)) fail('a message was answered by the killed node');
  for (const s of [agent, customer]) {
    await s.until(() => s.connections[0].closedAt, 'the cut');
    if (s.connections.length !== 1) fail(`${s.name} stream: back before it was let`);
  }
  const releasedAt = Date.now();
  release();

  // The streams come back, on the other node.
  const resumed = (s) => () => s.connections.length >= 2 && s.connections.at(-1).status === 200;
  await agent.until(resumed(agent), 'resuming');
  await customer.until(resumed(customer), 'resuming');
  for (const s of [agent, customer]) {
    const first = s.connections[0];
    if (!first.closedAt || first.closedAt < killedAt) fail(`${s.name} stream: the first connection did not end with the kill`);
    for (const c of s.connections.slice(1)) {
      if (c.status === 200 && c.node === doomed) fail(`${s.name} stream resumed on the killed node`);
    }
  }
  log(`streams resumed: agent on ${agent.connections.at(-1).node} with Last-Event-ID ${agent.connections.at(-1).lastEventId}, `
    + `customer on ${customer.connections.at(-1).node} with Last-Event-ID ${customer.connections.at(-1).lastEventId}`);

  for (const [who, text] of [['customer', 'etter 1: takk'], ['agent', 'etter 2: bare hyggelig']]) {
    await says(who, text);
  }
  await agent.until(bothHave(sent), 'every message');
  await customer.until(bothHave(sent), 'every message');
  const allAt = Date.now();
  await sleep(1500); // anything doubled would come now
  agent.close();
  customer.close();

  // Exactly once, in order, on each stream; and in the chat as stored.
  for (const s of [agent, customer]) {
    if (s.violations.length) fail(`${s.name} stream: ids not strictly increasing: ${s.violations.join('; ')}`);
    if (s.events.some((e) => e.type === 'resync')) fail(`${s.name} stream: resync (the position was not resumable)`);
    const ids = s.events.filter((e) => e.id !== undefined).map((e) => e.id);
    if (new Set(ids).size !== ids.length) fail(`${s.name} stream: duplicate ids`);
    const texts = s.messages();
    for (const text of sent) {
      const n = texts.filter((t) => t === text).length;
      if (n !== 1) fail(`${s.name} stream: "${text}" arrived ${n} times`);
    }
    if (texts.length !== sent.length) fail(`${s.name} stream: ${texts.length} messages, ${sent.length} sent`);
  }
  const view = await expect(200, call('GET', `/api/v1/customer/chats/${chat}`, { token: customerToken, from }), 'chat view');
  const stored = view.json.transcript.map((m) => m.text);
  for (const text of sent) {
    if (stored.filter((t) => t === text).length !== 1) fail(`the transcript holds "${text}" ${stored.filter((t) => t === text).length} times`);
  }

  // Tokens in stream URLs: never in the access log; the error log quotes failed requests' lines.
  const accessLog = fs.readFileSync(process.env.ACCESS_LOG, 'utf8');
  const errorLog = fs.readFileSync(process.env.ERROR_LOG, 'utf8');
  for (const token of [agentToken, customerToken]) {
    if (accessLog.includes(token)) fail('a token is in the access log');
  }
  const tokensInErrorLog = [agentToken, customerToken].filter((t) => errorLog.includes(t)).length;

  const reconnect = (s) => {
    const [first, ...rest] = s.connections;
    const back = rest.find((c) => c.status === 200);
    return {
      node_before: first.node,
      node_after: back.node,
      nginx_tried: back.tried,
      last_event_id: back.lastEventId,
      attempts: rest.length,
      refused: s.refusals,
      cut_after_kill_ms: first.closedAt - killedAt,
      held_until_after_kill_ms: releasedAt - killedAt,
      reconnect_delay_ms: RETRY_MS,
      reconnect_request_ms: back.openedAt - back.requestedAt,
      back_after_kill_ms: back.openedAt - killedAt,
      events: s.events.filter((e) => e.id !== undefined).length,
      messages: s.messages().length,
    };
  };
  const summary = {
    messages_sent: sent.length,
    sent_while_down: 4,
    sent_while_down_nginx_tried: down.map((d) => d.tried),
    delivery_before_kill_ms_max: worstLatency,
    first_send_after_kill_ms: failover.sends[4].ms,
    sends_refused_during_failover: failover.refused,
    all_delivered_after_kill_ms: allAt - killedAt,
    while_down_accepted_after_kill_ms: sentWhileDown - killedAt,
    agent: reconnect(agent),
    customer: reconnect(customer),
    tokens_in_access_log: 0,
    tokens_in_error_log: tokensInErrorLog,
  };
  log('every message arrived exactly once on both streams, ids strictly increasing; transcript complete');
  console.log(JSON.stringify(summary));
}

const watchdog = setTimeout(() => {
  console.error('resume.mjs: overall time limit reached');
  process.exit(2);
}, 90_000);
main().then(() => {
  clearTimeout(watchdog);
  process.exit(0);
}, (error) => {
  console.error(`FAILED: ${error.message}`);
  process.exit(1);
});
