// The checks of tests/deploy/prometheus.sh: traffic on two real nodes (customers start chats,
// agents pick up or are assigned, messages pass, SSE streams stay open), then questions to a
// real Prometheus that scrapes both nodes every second, through its HTTP API: the series, the
// dashboard's every query, the alert rules — and last, the leading node stopped, so that the
// dispatcher's move and the node-down alert show. Node's built-ins only.
//
// Input (environment): PROMETHEUS (http://127.0.0.1:PORT), NODE_A and NODE_B (host:port, the
// nodes' main listeners), INSTANCE_A and INSTANCE_B (the `instance` labels Prometheus gives
// them), PIDS (JSON: {instance: pid}), DASHBOARD (the dashboard's file), RULES (how many rules
// promtool counted), AGENT, SECOND_AGENT and PASSWORD (demo agents). Prints a summary; exits
// non-zero on any failure.

import fs from 'node:fs';
import { randomUUID } from 'node:crypto';

const PROMETHEUS = process.env.PROMETHEUS;
const NODE_A = process.env.NODE_A;
const NODE_B = process.env.NODE_B;
const INSTANCE_A = process.env.INSTANCE_A;
const INSTANCE_B = process.env.INSTANCE_B;
const INSTANCES = [INSTANCE_A, INSTANCE_B];
const PIDS = JSON.parse(process.env.PIDS);
/** No single step may take longer than this. */
const STEP_MS = 20_000;

const started = Date.now();
const since = (t) => Date.now() - t;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const log = (...words) => console.log(`  [metrics.mjs +${since(started)} ms]`, ...words);
function fail(message) {
  throw new Error(message);
}

/** One request to a node's API; the JSON answer, if any. */
async function api(method, node, path, { token, body } = {}) {
  const response = await fetch(`http://${node}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(STEP_MS),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: response.status, json };
}

async function expect(status, promise, what) {
  const answer = await promise;
  if (answer.status !== status) fail(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.json)}`);
  return answer.json;
}

/** An SSE stream held open (token in the URL, as the console and the widget send it). */
class Stream {
  constructor(name, node, path, token) {
    Object.assign(this, { name, node, events: [], status: null });
    this.abort = new AbortController();
    this.done = fetch(`http://${node}${path}?access_token=${encodeURIComponent(token)}`, {
      headers: { accept: 'text/event-stream' }, signal: this.abort.signal,
    }).then(async (response) => {
      this.status = response.status;
      const decoder = new TextDecoder();
      let buffer = '';
      let frame = { data: [] };
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop();
        for (const line of lines) {
          if (line === '') {
            if (frame.data.length) this.events.push({ type: frame.type ?? 'message', data: JSON.parse(frame.data.join('\n')) });
            frame = { data: [] };
          } else if (line.startsWith('data:')) frame.data.push(line.slice(5).trimStart());
          else if (line.startsWith('event:')) frame.type = line.slice(6).trim();
        }
      }
    }).catch((error) => { if (error.name !== 'AbortError') this.error = error; });
  }

  messages() {
    return this.events.filter((e) => e.type === 'MessageSent').map((e) => e.data.event.MessageSent.text);
  }

  close() {
    this.abort.abort();
  }
}

/** Prometheus's answer to an instant query: its result (a vector, as [{metric, value}]). */
async function query(expr) {
  const url = `${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(STEP_MS) });
  const body = await response.json();
  if (body.status !== 'success') {
    const error = new Error(`${expr}: ${body.errorType}: ${body.error}`);
    error.prometheus = body;
    throw error;
  }
  return body.data.result;
}
const valueOf = (sample) => Number(sample.value[1]);

async function prometheusGet(path) {
  const response = await fetch(`${PROMETHEUS}${path}`, { signal: AbortSignal.timeout(STEP_MS) });
  const body = await response.json();
  if (body.status !== 'success') fail(`${path}: ${body.errorType}: ${body.error}`);
  return body.data;
}

/** Waits until `check()` returns something truthy (re-asked every 250 ms), and returns it. */
async function until(what, check) {
  const deadline = Date.now() + STEP_MS;
  let last;
  for (;;) {
    try {
      const got = await check();
      if (got) return got;
    } catch (error) {
      if (error.prometheus) throw error; // a query Prometheus refused will not get better
      last = error;
    }
    if (Date.now() > deadline) fail(`${what}: not within ${STEP_MS} ms${last ? ` (${last.message})` : ''}`);
    await sleep(250);
  }
}

/** The samples of `expr`, by instance; truthy only once both instances have one. */
async function onBoth(expr, ok = () => true) {
  const result = await query(expr);
  const by = Object.fromEntries(INSTANCES.map((i) => [i, result.filter((s) => s.metric.instance === i)]));
  return INSTANCES.every((i) => by[i].length > 0 && by[i].every(ok)) ? by : null;
}

const short = (instance) => (instance === INSTANCE_A ? `A (${instance})` : `B (${instance})`);
const round = (v, digits = 4) => Number(v.toPrecision(digits));

async function main() {
  const summary = [];

  // A widget's page loads on both nodes twice a second, for the whole run: the rates and the
  // latency quantile need requests in every window.
  const background = setInterval(() => {
    for (const node of [NODE_A, NODE_B]) fetch(`http://${node}/api/v1/widget/config`).then((r) => r.text()).catch(() => {});
  }, 500);

  try {
    await until('both targets up', () => onBoth('up{job="samtale"}', (s) => valueOf(s) === 1));
    log('Prometheus sees both targets up');

    // Two customers start chats, one per queue, one through each node; the first keeps its
    // stream open on the other node, and writes once there (so that node has the chat in its
    // cache when an agent on the first node picks it up).
    const config = await expect(200, api('GET', NODE_A, '/api/v1/widget/config'), 'widget config');
    const queueOf = Object.fromEntries(config.queues.map((q) => [q.queue_id, q.name]));
    const category = (name) => config.categories.find((c) => c.name === name) ?? fail(`no category ${name}`);
    const mobil = category('Mobil');
    const faktura = category('Faktura');
    const first = await expect(201, api('POST', NODE_A, '/api/v1/customer/chats', {
      body: { category_id: mobil.category_id, name: 'Nora', fields: { email: 'nora@example.no' } },
    }), 'first chat start');
    const second = await expect(201, api('POST', NODE_B, '/api/v1/customer/chats', {
      body: { category_id: faktura.category_id, name: 'Per', fields: { email: 'per@example.no' } },
    }), 'second chat start');
    const customerStream = new Stream('customer', NODE_B, `/api/v1/customer/chats/${first.chat_id}/events`, first.customer_token);
    const customerSays = (text) => expect(201, api('POST', NODE_B, `/api/v1/customer/chats/${first.chat_id}/messages`, {
      token: first.customer_token, body: { text, client_message_id: randomUUID() },
    }), `customer message "${text}"`);
    await customerSays('hei, er det noen der?');
    log(`chats started: ${first.chat_id} in ${queueOf[mobil.queue_id]} (through A), ${second.chat_id} in ${queueOf[faktura.queue_id]} (through B); the first customer's stream is open on B`);

    // Nobody is logged in: both queues show a waiting chat, on both nodes, and the alert for
    // chats waiting with no agent goes pending for each queue.
    const waitingBefore = await until('one chat waiting in each queue, on both nodes', async () => {
      const by = await onBoth('samtale_queue_waiting_chats');
      return by && INSTANCES.every((i) => by[i].length === 2 && by[i].every((s) => valueOf(s) === 1)) ? by : null;
    });
    const oldest = await until('the oldest wait counting', async () => {
      const result = await query('max by (queue) (samtale_queue_oldest_wait_seconds) >= 1');
      return result.length === 2 ? result : null;
    });
    const pendingNoAgent = await until('SamtaleChatsWaitingWithNoAgent pending for both queues', async () => {
      const result = await query('ALERTS{alertname="SamtaleChatsWaitingWithNoAgent",alertstate="pending"}');
      return result.length === 2 ? result : null;
    });
    summary.push(`waiting before any agent: samtale_queue_waiting_chats = 1 for ${waitingBefore[INSTANCE_A].map((s) => s.metric.queue).sort().join(' and ')} from both nodes; oldest wait ${oldest.map((s) => `${s.metric.queue} ${valueOf(s)} s`).join(', ')}; alert SamtaleChatsWaitingWithNoAgent pending for ${pendingNoAgent.map((s) => s.metric.queue).sort().join(', ')}`);
    log('waiting chats, oldest wait and the no-agent alert seen');

    // The agents: the first logs in through A with a stream open there and picks up the first
    // chat; the second logs in to the queues through B, the dispatcher offers them the other chat
    // and they accept it; the second agent's pickup of the first chat is refused (409: someone else has it).
    const agent = await expect(200, api('POST', NODE_A, '/api/v1/auth/login', { body: { username: process.env.AGENT, password: process.env.PASSWORD } }), 'agent login');
    const agentStream = new Stream('agent', NODE_A, '/api/v1/events', agent.token);
    await until('the agent stream open', () => agentStream.status === 200);
    await expect(200, api('POST', NODE_A, `/api/v1/chats/${first.chat_id}/pickup`, { token: agent.token }), 'pickup');
    const other = await expect(200, api('POST', NODE_B, '/api/v1/auth/login', { body: { username: process.env.SECOND_AGENT, password: process.env.PASSWORD } }), 'second agent login');
    await expect(200, api('POST', NODE_B, '/api/v1/me/presence', { token: other.token, body: { logged_in: true } }), 'second agent logs in to the queues');
    // The demo queues have an offer timeout: the dispatcher offers the chat, the agent accepts.
    await until('the dispatcher offering the second chat', async () => {
      const mine = await api('GET', NODE_B, '/api/v1/me/chats', { token: other.token });
      return mine.json?.offered?.some((c) => c.chat_id === second.chat_id);
    });
    await expect(200, api('POST', NODE_B, `/api/v1/chats/${second.chat_id}/accept`, { token: other.token }), 'accepting the offer');
    await until('the second chat assigned', async () => {
      const view = await api('GET', NODE_B, `/api/v1/customer/chats/${second.chat_id}`, { token: second.customer_token });
      return view.json?.status === 'assigned';
    });
    await expect(409, api('POST', NODE_B, `/api/v1/chats/${first.chat_id}/pickup`, { token: other.token }), 'second pickup of the first chat');
    const sent = ['hei, er det noen der?'];
    for (const [who, text] of [['customer', 'fakturaen min er feil'], ['agent', 'hei Nora, jeg ser på den'], ['customer', 'takk'], ['agent', 'den er rettet nå']]) {
      sent.push(text);
      if (who === 'customer') await customerSays(text);
      else {
        await expect(201, api('POST', NODE_A, `/api/v1/chats/${first.chat_id}/messages`, {
          token: agent.token, body: { text, client_message_id: randomUUID() },
        }), `agent message "${text}"`);
      }
    }
    await until('every message on both streams', () => sent.every((t) => customerStream.messages().includes(t))
      && sent.slice(1).every((t) => agentStream.messages().includes(t)));
    log(`${process.env.AGENT} picked up the first chat through A, ${process.env.SECOND_AGENT} accepted the dispatcher's offer of the second through B; ${sent.length} messages, each on the customer's stream (B) and the agent's (A)`);

    // The series, from both nodes, with the values this traffic implies.
    await until('waiting chats back to 0 and the no-agent alert gone', async () => {
      const by = await onBoth('samtale_queue_waiting_chats', (s) => valueOf(s) === 0);
      const alert = await query('ALERTS{alertname="SamtaleChatsWaitingWithNoAgent"}');
      return by && alert.length === 0;
    });
    const loggedIn = await until('agents logged in: 1 per queue', () => onBoth('samtale_queue_agents_logged_in', (s) => valueOf(s) === 1));
    const streams = await until('the open streams: staff on A, customer on B', async () => {
      const by = await onBoth('samtale_streams_open');
      const kind = (i, k) => valueOf(by[i].find((s) => s.metric.kind === k) ?? fail(`no ${k} streams on ${i}`));
      return by && kind(INSTANCE_A, 'staff') === 1 && kind(INSTANCE_A, 'customer') === 0
        && kind(INSTANCE_B, 'customer') === 1 && kind(INSTANCE_B, 'staff') === 0 ? by : null;
    });
    summary.push(`samtale_streams_open: A staff ${valueOf(streams[INSTANCE_A].find((s) => s.metric.kind === 'staff'))}, customer ${valueOf(streams[INSTANCE_A].find((s) => s.metric.kind === 'customer'))}; B staff ${valueOf(streams[INSTANCE_B].find((s) => s.metric.kind === 'staff'))}, customer ${valueOf(streams[INSTANCE_B].find((s) => s.metric.kind === 'customer'))}; samtale_queue_agents_logged_in ${loggedIn[INSTANCE_A].map((s) => `${s.metric.queue} ${valueOf(s)}`).sort().join(', ')}`);
    const requests = await until('samtale_http_requests_total: each node counted its chat start', () => onBoth(
      'sum by (instance) (samtale_http_requests_total{route="/api/v1/customer/chats",method="POST",status="201"})', (s) => valueOf(s) === 1));
    const totals = await onBoth('sum by (instance) (samtale_http_requests_total)');
    const routes = await onBoth('count by (instance) (samtale_http_requests_total)');
    summary.push(`samtale_http_requests_total: ${INSTANCES.map((i) => `${short(i)} ${valueOf(totals[i][0])} requests in ${valueOf(routes[i][0])} series (chat starts ${valueOf(requests[i][0])})`).join('; ')}`);
    const lag = await until('samtale_projection_lag_events', () => onBoth('samtale_projection_lag_events'));
    const head = await until('samtale_log_head_position', () => onBoth('samtale_log_head_position'));
    summary.push(`samtale_projection_lag_events: ${lag[INSTANCE_A].length} projections (${lag[INSTANCE_A].map((s) => s.metric.projection).sort().join(', ')}), at most ${Math.max(...INSTANCES.flatMap((i) => lag[i].map(valueOf)))} events behind a head at ${valueOf(head[INSTANCE_A][0])}`);
    const leading = await until('samtale_dispatcher_leading: one leader of two', async () => {
      const by = await onBoth('samtale_dispatcher_leading');
      const sum = await query('sum(samtale_dispatcher_leading) == 1');
      return by && sum.length === 1 ? by : null;
    });
    const leader = INSTANCES.find((i) => valueOf(leading[i][0]) === 1);
    const follower = INSTANCES.find((i) => i !== leader);
    summary.push(`samtale_dispatcher_leading: ${short(leader)} 1, ${short(follower)} 0 (sum 1)`);
    const commands = await until('samtale_chat_commands_total: committed on both, the refused pickup on B', async () => {
      const by = await onBoth('samtale_chat_commands_total');
      const on = (i, o) => by?.[i].find((s) => s.metric.outcome === o);
      return by && INSTANCES.every((i) => on(i, 'committed')) && on(INSTANCE_B, 'rejected') ? by : null;
    });
    const outcomes = (i) => commands[i].map((s) => `${s.metric.outcome} ${valueOf(s)}`).sort().join(', ');
    summary.push(`samtale_chat_commands_total: A ${outcomes(INSTANCE_A)}; B ${outcomes(INSTANCE_B)}`);
    await until('samtale_presence_commands_total on B', async () => (await query(`samtale_presence_commands_total{instance="${INSTANCE_B}",outcome="committed"} >= 1`)).length === 1);
    const pools = await until('samtale_database_pool_connections', () => onBoth('samtale_database_pool_connections'));
    const poolText = (i) => pools[i].map((s) => `${s.metric.pool}/${s.metric.state} ${valueOf(s)}`).sort().join(' ');
    summary.push(`samtale_database_pool_connections: A ${poolText(INSTANCE_A)}; B ${poolText(INSTANCE_B)}`);
    const breaker = await until('samtale_breaker_open 0', () => onBoth('samtale_breaker_open', (s) => valueOf(s) === 0));
    await until('samtale_connections_open', () => onBoth('samtale_connections_open', (s) => valueOf(s) >= 1));
    const p99 = await until('a p99 latency that is a number', async () => {
      const result = await query('histogram_quantile(0.99, sum by (le) (rate(samtale_http_request_duration_seconds_bucket[1m])))');
      return result.length === 1 && Number.isFinite(valueOf(result[0])) ? valueOf(result[0]) : null;
    });
    const assigned = await until('the dispatcher observed an assignment wait', async () => {
      const result = await query('sum(samtale_assignment_wait_seconds_count)');
      return result.length === 1 && valueOf(result[0]) >= 1 ? valueOf(result[0]) : null;
    });
    const waitP95 = await query('histogram_quantile(0.95, sum by (le) (rate(samtale_assignment_wait_seconds_bucket[1m])))');
    summary.push(`histogram_quantile(0.99, …samtale_http_request_duration_seconds_bucket[1m]…) = ${round(p99 * 1000)} ms; assignment waits observed: ${assigned} (p95 ${waitP95.length ? `${round(valueOf(waitP95[0]))} s` : 'none'}); samtale_breaker_open 0 on ${Object.keys(breaker).length} nodes; up 1 on both`);
    log('series checked');

    // The dashboard: every query, with Grafana's variables replaced as Grafana would for
    // "All", parses and evaluates; every series it names exists; its variables find values.
    const dashboard = JSON.parse(fs.readFileSync(process.env.DASHBOARD, 'utf8'));
    const DS = '${DS_PROMETHEUS}';
    if (!dashboard.__inputs?.some((i) => i.name === 'DS_PROMETHEUS' && i.pluginId === 'prometheus')) fail('the dashboard declares no DS_PROMETHEUS input');
    const variables = dashboard.templating.list;
    const allOf = Object.fromEntries(variables.map((v) => [v.name, v.allValue ?? fail(`variable ${v.name} has no allValue`)]));
    const substitute = (expr) => {
      let out = expr.replaceAll('$__rate_interval', '1m');
      for (const [name, value] of Object.entries(allOf)) out = out.replaceAll(`\${${name}}`, value).replaceAll(`$${name}`, value);
      if (out.includes('$')) fail(`a variable left in ${JSON.stringify(expr)} after substitution: ${out}`);
      return out;
    };
    // Every series with two samples in the last minute first, so that each rate has its two.
    const names = new Set(await prometheusGet('/api/v1/label/__name__/values'));
    await until('two samples of every series', async () => {
      for (const name of [...names].filter((n) => n.startsWith('samtale_'))) {
        if ((await query(`count_over_time(${name}[1m]) < 2`)).length) return false;
      }
      return true;
    });
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    const ids = panels.map((p) => p.id);
    if (new Set(ids).size !== ids.length) fail('the dashboard has panels with the same id');
    // The labels each metric's series carry, and their values.
    const labelsOf = new Map();
    const labels = async (name) => {
      if (!labelsOf.has(name)) {
        const series = await prometheusGet(`/api/v1/series?match[]=${encodeURIComponent(name)}`);
        const found = new Map();
        for (const s of series) for (const [k, v] of Object.entries(s)) found.set(k, (found.get(k) ?? new Set()).add(v));
        labelsOf.set(name, found);
      }
      return labelsOf.get(name);
    };
    // A matcher on a label its metric does not have, or `=` a value it never has, matches
    // nothing, and `by (…)` a label none of the metrics read carries groups nothing: mistakes
    // that evaluate without error.
    const labelsRight = async (panel, target) => {
      const where = `panel "${panel.title}" ${target.refId}`;
      const read = new Set();
      for (const [, name, matchers = ''] of target.expr.matchAll(/\b(samtale_[a-z_]+|up)\b(?:\{([^}]*)\})?(?=\s*[[)])/g)) {
        const known = await labels(name);
        read.add(name);
        for (const [, label, op, value] of matchers.matchAll(/(\w+)\s*(=~|!=|!~|=)\s*"([^"]*)"/g)) {
          if (!known.has(label)) fail(`${where}: ${name} has no label ${label}`);
          if (op === '=' && !known.get(label).has(value)) fail(`${where}: ${name} never has ${label}="${value}" (it has ${[...known.get(label)].join(', ')})`);
        }
      }
      for (const [, list] of target.expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
        for (const label of list.split(',').map((l) => l.trim()).filter(Boolean)) {
          const carried = await Promise.all([...read].map(async (n) => (await labels(n)).has(label)));
          if (!carried.some(Boolean)) fail(`${where}: by (${label}), which none of ${[...read].join(', ')} carries`);
        }
      }
    };
    let queries = 0;
    const empty = [];
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      if (panel.datasource?.uid !== DS) fail(`panel "${panel.title}": datasource ${JSON.stringify(panel.datasource)}`);
      if (!panel.targets?.length) fail(`panel "${panel.title}" has no query`);
      for (const target of panel.targets) {
        if (target.datasource?.uid !== DS) fail(`panel "${panel.title}" ${target.refId}: datasource ${JSON.stringify(target.datasource)}`);
        const expr = substitute(target.expr);
        let result;
        try {
          result = await query(expr);
        } catch (error) {
          fail(`panel "${panel.title}" ${target.refId}: ${error.message}`);
        }
        await labelsRight(panel, target);
        for (const name of target.expr.match(/\b(?:samtale_[a-z_]+|up)\b(?=\s*[{[)])/g) ?? []) {
          if (!names.has(name)) fail(`panel "${panel.title}" ${target.refId} names ${name}, which Prometheus has no series of`);
        }
        queries += 1;
        if (result.length === 0) {
          // Empty is right only where something it reads has not happened (no 5xx yet):
          // if every series it reads exists, the query itself is wrong.
          const selectors = [...expr.matchAll(/\b(?:samtale_[a-z_]+|up)\b(?:\{[^}]*\})?(?=\s*[[)])/g)].map((m) => m[0]);
          const missing = [];
          for (const selector of selectors) {
            if ((await query(`count(${selector})`)).length === 0) missing.push(selector);
          }
          if (!missing.length) fail(`panel "${panel.title}" ${target.refId} is empty although every series it reads exists: ${expr}`);
          empty.push(`"${panel.title}" ${target.refId} (no ${missing.map((m) => m.replace(/job=~"\.\*",instance=~"\.\*",?|job=~"\.\*",?/g, '').replace('{}', '')).join(', ')})`);
        }
      }
    }
    for (const variable of variables) {
      const definition = variable.query?.query ?? variable.query;
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(definition) ?? fail(`variable ${variable.name}: ${definition}`);
      if (variable.datasource?.uid !== DS) fail(`variable ${variable.name}: datasource ${JSON.stringify(variable.datasource)}`);
      const series = await prometheusGet(`/api/v1/series?match[]=${encodeURIComponent(substitute(match[1]))}`);
      const values = [...new Set(series.map((s) => s[match[2]]).filter(Boolean))];
      if (!values.length) fail(`variable ${variable.name} (${definition}) finds no values`);
      variable.found = values;
    }
    summary.push(`dashboard: ${panels.filter((p) => p.type !== 'row').length} panels, ${queries} queries, all evaluated (${queries - empty.length} with data; empty now: ${empty.length ? empty.join(', ') : 'none'}); variables ${variables.map((v) => `${v.name} = ${v.found.join('|')}`).join(', ')}`);
    log('dashboard checked');

    // The alert rules: loaded, every one evaluated without error.
    const { groups } = await prometheusGet('/api/v1/rules');
    const rules = groups.flatMap((g) => g.rules);
    if (rules.length !== Number(process.env.RULES)) fail(`Prometheus loaded ${rules.length} rules, promtool counted ${process.env.RULES}`);
    await until('every rule evaluated, healthy', async () => {
      const now = (await prometheusGet('/api/v1/rules')).groups.flatMap((g) => g.rules);
      const bad = now.filter((r) => r.health !== 'ok');
      if (bad.some((r) => r.health === 'err')) fail(`rules in error: ${bad.map((r) => `${r.name}: ${r.lastError}`).join('; ')}`);
      return bad.length === 0;
    });
    const active = await query('ALERTS');
    if (active.length) fail(`alerts active in a healthy cluster: ${active.map((s) => `${s.metric.alertname} ${s.metric.alertstate}`).join(', ')}`);
    log('alert rules checked');
    summary.push(`alerts: ${rules.length} rules loaded, all evaluated with health ok; none pending or firing with the cluster healthy`);

    // The leader stops (SIGTERM, as systemctl stop): its target goes down, the other node
    // takes the dispatcher, SamtaleNodeDown goes pending, and nothing else stays pending.
    customerStream.close();
    agentStream.close();
    const stoppedAt = Date.now();
    process.kill(PIDS[leader], 'SIGTERM');
    log(`SIGTERM to the leader, ${short(leader)} (pid ${PIDS[leader]})`);
    let noLeaderSeen = false;
    const watchNoLeader = async () => {
      if ((await query('ALERTS{alertname="SamtaleNoDispatcherLeader"}')).length) noLeaderSeen = true;
    };
    const downAt = await until(`up 0 for ${leader}`, async () => {
      await watchNoLeader();
      return (await query(`up{instance="${leader}"} == 0`)).length === 1 ? since(stoppedAt) : null;
    });
    const tookOverAt = await until(`the dispatcher on ${follower}`, async () => {
      await watchNoLeader();
      const now = await query(`samtale_dispatcher_leading{instance="${follower}"} == 1`);
      const sum = await query('sum(samtale_dispatcher_leading) == 1');
      return now.length === 1 && sum.length === 1 ? since(stoppedAt) : null;
    });
    const pendingAt = await until('SamtaleNodeDown pending for the stopped node', async () => {
      await watchNoLeader();
      const result = await query(`ALERTS{alertname="SamtaleNodeDown",alertstate="pending",instance="${leader}"}`);
      return result.length === 1 ? since(stoppedAt) : null;
    });
    const others = await until('no other alert active', async () => {
      const result = (await query('ALERTS')).filter((s) => s.metric.alertname !== 'SamtaleNodeDown');
      return result.length === 0 ? true : null;
    });
    const firing = await query('ALERTS{alertstate="firing"}');
    if (firing.length || !others) fail(`alerts firing: ${firing.map((s) => s.metric.alertname).join(', ')}`);
    summary.push(`leader ${short(leader)} stopped: up 0 in Prometheus after ${downAt} ms, ${short(follower)} the dispatcher (sum 1) after ${tookOverAt} ms, SamtaleNodeDown pending after ${pendingAt} ms; SamtaleNoDispatcherLeader ${noLeaderSeen ? 'went pending for a moment (its for: 1m kept it from firing)' : 'never pending'}; no other alert`);
  } finally {
    clearInterval(background);
  }

  console.log('summary');
  for (const line of summary) console.log(`  ${line}`);
}

main().then(() => process.exit(0), (error) => {
  console.error(`  [metrics.mjs +${since(started)} ms] FAILED: ${error.message}`);
  process.exit(1);
});
