// End-to-end: the agent console and the customer widget in a real headless Chromium, against
// a real `samtale serve --demo` on a fresh SQLite database. One story, told in order: each
// test builds on the one before, as a working day does.
//
//   node --test --test-concurrency=1 run.mjs
// SAMTALE_BIN: the server binary (default target/release/samtale); CHROMIUM_PATH: the browser;
// E2E_DEBUG=1: echo the pages' console.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { connect as connectTcp, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER_BIN = process.env.SAMTALE_BIN ?? join(ROOT, 'target/release/samtale');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(ROOT, 'docs/screenshots');
const ADMIN_PASSWORD = 'e2e-admin-password';
const DEMO_PASSWORD = 'samtale-demo';
const STEP = { timeout: 60_000 };
/** The key the company's site signs its signed-in customers' ids with, shared with the server. */
const IDENTITY_SECRET = 'e2e-identity-secret';
/** The company's signed-in customer, on the site's "My page". */
const MEMBER = { id: 'kunde-4711', name: 'Lise Lojal', email: 'lise@example.no' };

const work = mkdtempSync(join(tmpdir(), 'samtale-e2e-'));
let port;
let server;
let site;
let smtp;
let context;
const dialogs = [];
const pages = {};
let base;
/** The Maildir the SMTP server keeps the mail it takes in. */
const mailbox = join(work, 'mailbox');

// ---- harness -------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolvePort(free));
    });
  });
}

async function startServer(sitePort) {
  const child = spawn(SERVER_BIN, ['serve', '--demo', '--listen', `127.0.0.1:${port}`], {
    env: {
      ...process.env,
      SAMTALE_DATABASE_URL: `sqlite://${join(work, 'e2e.db')}`,
      SAMTALE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SAMTALE_WIDGET_ORIGINS: `http://127.0.0.1:${sitePort}`,
      SAMTALE_IDENTITY_SECRET: IDENTITY_SECRET,
      SAMTALE_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited:\n${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not become ready within 60 s:\n${output}`);
}

/** A real SMTP server (Debian's aiosmtpd) keeping every mail it takes in a Maildir. */
async function startSmtp() {
  const smtpPort = await freePort();
  const child = spawn('/usr/bin/python3', [
    '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', mailbox,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const listening = () => new Promise((resolveProbe) => {
    const socket = connectTcp(smtpPort, '127.0.0.1', () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once('error', () => resolveProbe(false));
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`aiosmtpd exited:\n${output}`);
    if (await listening()) return { child, port: smtpPort };
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error(`aiosmtpd did not listen within 30 s:\n${output}`);
}

/** The mail in the Maildir, as text: bodies decoded from base64 or quoted-printable. */
function mailsReceived() {
  const dir = join(mailbox, 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((file) => {
    const raw = readFileSync(join(dir, file), 'latin1');
    const split = raw.search(/\r?\n\r?\n/);
    const [head, body] = [raw.slice(0, split), raw.slice(split).trim()];
    const encoding = head.match(/^Content-Transfer-Encoding:\s*(\S+)/im)?.[1].toLowerCase();
    let text = body;
    if (encoding === 'base64') text = Buffer.from(body, 'base64').toString('utf8');
    if (encoding === 'quoted-printable') {
      text = Buffer.from(body.replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
    }
    return `${head}\n\n${text}`;
  });
}

/**
 * A company's own site, on another origin, with the widget's one script tag; on "My page" its
 * signed-in customer, whose id the site's server signs with the identity secret.
 */
function startSite(apiPort) {
  const widget = `src="http://127.0.0.1:${apiPort}/widget.js" async`;
  const signature = createHmac('sha256', IDENTITY_SECRET).update(`${MEMBER.id}\n${MEMBER.email}`).digest('hex');
  const page = (title, tag) => `<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Eksempel AS</title></head>
<body style="font-family: system-ui; margin: 0; background: #fff">
<header style="padding: 20px 40px; background: #0b3d2e; color: #fff"><h1 style="margin: 0">Eksempel AS</h1></header>
<main style="padding: 40px"><h2>${title}</h2><p>Har du spørsmål om abonnementet ditt? Chat med oss.</p></main>
<script ${tag}></script></body></html>`;
  const pagesByPath = {
    '/': page('Kundeservice', widget),
    '/min-side': page(`Min side: ${MEMBER.name}`, `${widget} data-user-id="${MEMBER.id}" data-user-email="${MEMBER.email}" data-user-signature="${signature}"`),
    // The same site in English: the widget told its language.
    '/en': page('Customer service', `${widget} data-lang="en"`),
  };
  const http = createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(pagesByPath[request.url] ?? pagesByPath['/']);
  });
  return new Promise((resolveSite) => {
    http.listen(0, '127.0.0.1', () => resolveSite(http));
  });
}

const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Retries `check` until it stops throwing: the UI updates live, not at once. */
async function eventually(check, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

async function textOf(locator) {
  return (await locator.textContent())?.trim();
}

async function newPage(name) {
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(`${name}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (error) => {
    dialogs.push(`${name} page error: ${error.message}`);
  });
  if (process.env.E2E_DEBUG) page.on('console', (m) => console.log(`[${name}] ${m.type()}: ${m.text()}`));
  pages[name] = page;
  return page;
}

async function signIn(page, username, password = DEMO_PASSWORD) {
  await page.goto(`${base}/agent`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.locator('#console-view').waitFor();
  await eventually(async () => assert.equal(await page.locator('#live-status').getAttribute('data-status'), 'live'));
}

async function shoot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, name) });
}

const chatItem = (page, name) => page.locator('.chat-item', { hasText: name });
const messages = (page) => page.locator('#transcript .message-text');
const widgetMessages = (page) => page.locator('.transcript .text');
/** Who the console, and the widget, say wrote the line with `text`. */
const lineAuthor = (page, text) => page.locator('#transcript .message', { hasText: text }).locator('.message-author');
const widgetAuthor = (page, text) => page.locator('.transcript li', { hasText: text }).locator('.author');

async function customerStarts(page, { name, topic, email }) {
  await page.fill('#samtale-field-name', name);
  await page.selectOption('#samtale-field-category_id', { label: topic });
  await page.fill('#samtale-field-email', email);
  await page.click('form.prechat button[type=submit]');
  await page.locator('.status').waitFor();
}

async function customerSays(page, text) {
  await page.fill('.composer textarea', text);
  await page.press('.composer textarea', 'Enter');
  await eventually(async () => assert.ok((await widgetMessages(page).allTextContents()).includes(text)));
}

/** The customer ends her running chat with × and says yes when asked. */
async function customerEnds(page) {
  await page.locator('.head button.close').click();
  await page.getByRole('group', { name: 'Avslutte chatten?' }).getByRole('button', { name: 'Avslutt chatten' }).click();
}

async function agentSays(page, text) {
  await page.fill('#message-input', text);
  await page.press('#message-input', 'Enter');
  await eventually(async () => assert.ok((await messages(page).allTextContents()).includes(text)));
}

// ---- the story -----------------------------------------------------------------------------

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  site = await startSite(port);
  smtp = await startSmtp();
  server = await startServer(site.address().port);
  context = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    locale: 'nb-NO',
    viewport: { width: 1440, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(15_000);
});

after(async () => {
  await context?.close();
  server?.kill('SIGKILL');
  smtp?.child.kill('SIGKILL');
  site?.close();
  rmSync(work, { recursive: true, force: true });
});

test('the widget shows the server\'s field errors inline, then starts the chat', STEP, async () => {
  const customer = await newPage('nora');
  await customer.goto(`${base}/widget`);
  await customer.fill('#samtale-field-name', 'Nora Nordmann');
  await customer.selectOption('#samtale-field-category_id', { label: 'Mobil' });
  await customer.fill('#samtale-field-phone', 'ring meg');
  await customer.click('form.prechat button[type=submit]');
  await eventually(async () => assert.equal(await textOf(customer.locator('#samtale-error-email')), 'Må fylles ut.'));
  assert.equal(await textOf(customer.locator('#samtale-error-phone')), 'Skriv et gyldig telefonnummer.');
  assert.equal(await customer.locator('#samtale-field-email').getAttribute('aria-invalid'), 'true');
  await shoot(customer, 'widget-form-errors.png');

  await customer.fill('#samtale-field-phone', '+47 912 34 567');
  await customer.selectOption('#samtale-field-language', 'Norsk');
  await customerStarts(customer, { name: 'Nora Nordmann', topic: 'Mobil', email: 'nora@example.no' });
  await eventually(async () => assert.equal(await textOf(customer.locator('.status')), 'Du er den neste i køen.'));
});

test('an agent signs in, sees the chat in the incoming list and picks it up', STEP, async () => {
  const agent = await newPage('kari');
  await signIn(agent, 'kari');
  const row = agent.locator('#incoming tr', { hasText: 'Nora Nordmann' });
  await row.waitFor();
  assert.match(await textOf(row), /Privat.*Mobil/);
  assert.equal(await textOf(agent.locator('#incoming-count')), '1');
  assert.equal(await agent.locator('#chat-panel').isVisible(), false);
  await shoot(agent, 'console-incoming.png');

  await row.getByRole('button', { name: 'Ta chatten fra Nora Nordmann' }).click();
  await agent.locator('#chat-panel').waitFor();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Nora Nordmann'));
  const info = await textOf(agent.locator('#customer-info'));
  for (const expected of ['Privat', 'Mobil', 'nora@example.no', '+47 912 34 567', 'Norsk']) {
    assert.ok(info.includes(expected), `customer information shows ${expected}: ${info}`);
  }
  await eventually(async () => assert.equal(await textOf(agent.locator('#incoming-count')), '0'));
  await eventually(async () => assert.equal(
    await textOf(pages.nora.locator('.status')), 'Du chatter med Kari Nordmann.'));
});

test('the panel opens and closes with the webchat icon and its cross', STEP, async () => {
  const agent = pages.kari;
  await agent.getByRole('button', { name: 'Lukk chatpanelet', exact: true }).click();
  assert.equal(await agent.locator('#chat-panel').isVisible(), false);
  await agent.locator('#panel-toggle').click();
  assert.equal(await agent.locator('#chat-panel').isVisible(), true);
  await agent.locator('#panel-toggle').click();
  assert.equal(await agent.locator('#chat-panel').isVisible(), false);
  await agent.locator('#panel-toggle').press('Enter');
  assert.equal(await agent.locator('#chat-panel').isVisible(), true);
});

test('agent and customer exchange messages both ways, live', STEP, async () => {
  await agentSays(pages.kari, 'Hei Nora! Hva kan jeg hjelpe deg med?');
  await eventually(async () => assert.ok((await widgetMessages(pages.nora).allTextContents())
    .includes('Hei Nora! Hva kan jeg hjelpe deg med?')));
  await customerSays(pages.nora, 'Mobilen min har ikke dekning hjemme.');
  await eventually(async () => assert.ok((await messages(pages.kari).allTextContents())
    .includes('Mobilen min har ikke dekning hjemme.')));
  assert.equal(await chatItem(pages.kari, 'Nora Nordmann').locator('.unread-badge').count(), 0,
    'messages in the chat on screen are read at once');
});

test('a second customer starts from the widget embedded on a company\'s own site', STEP, async () => {
  const customer = await newPage('per');
  await customer.goto(`http://127.0.0.1:${site.address().port}/`);
  await customer.getByRole('button', { name: 'Chat med oss' }).click();
  await customerStarts(customer, { name: 'Per Olsen', topic: 'Faktura', email: 'per@example.no' });
  await customerSays(customer, 'Hei, jeg har et spørsmål om fakturaen min.');

  const agent = pages.kari;
  const row = agent.locator('#incoming tr', { hasText: 'Per Olsen' });
  await row.waitFor();
  assert.match(await textOf(row), /Bedrift.*Faktura/);
  await row.getByRole('button', { name: 'Ta chatten fra Per Olsen' }).click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Per Olsen'));
  assert.equal(await agent.locator('#active-chats .chat-item').count(), 2);
  await agentSays(agent, 'Hei Per, jeg ser på fakturaen nå.');
  await eventually(async () => assert.ok((await widgetMessages(customer).allTextContents())
    .includes('Hei Per, jeg ser på fakturaen nå.')));
  await shoot(customer, 'widget-embedded.png');
});

test('the unread badge counts the customer\'s messages in a chat not on screen', STEP, async () => {
  const agent = pages.kari;
  await customerSays(pages.nora, 'Er dere der?');
  await customerSays(pages.nora, 'Jeg bor i Tromsø, om det hjelper.');
  const badge = chatItem(agent, 'Nora Nordmann').locator('.unread-badge');
  await eventually(async () => assert.equal(await textOf(badge), '2'));
  assert.equal(await badge.getAttribute('aria-label'), '2 uleste meldinger');
  assert.equal(await textOf(agent.locator('#total-unread')), '2');
  assert.equal(await agent.title(), '(2) Samtale');
  assert.equal(await chatItem(agent, 'Per Olsen').locator('.unread-badge').count(), 0);
  await shoot(agent, 'console-chat.png');

  await chatItem(agent, 'Nora Nordmann').click();
  await eventually(async () => assert.equal(await badge.count(), 0));
  assert.equal(await agent.locator('#total-unread').isVisible(), false);
  assert.ok((await messages(agent).allTextContents()).includes('Jeg bor i Tromsø, om det hjelper.'));
  // The read marker is the server's too: a reload shows no unread messages.
  await eventually(async () => {
    const mine = await agent.evaluate(async () => (await fetch('/api/v1/me/chats', {
      headers: { Authorization: `Bearer ${sessionStorage.getItem('samtale.token')}` },
    })).json());
    assert.equal(mine.active.find((c) => c.customer_name === 'Nora Nordmann').unread, 0);
  });
});

test('message text is always text: markup shows literally and runs nothing', STEP, async () => {
  const attack = '<img src=x onerror=alert(1)>';
  await customerSays(pages.nora, attack);
  await eventually(async () => assert.ok((await messages(pages.kari).allTextContents()).includes(attack)));
  await agentSays(pages.kari, attack);
  await eventually(async () => assert.equal(
    (await widgetMessages(pages.nora).allTextContents()).filter((text) => text === attack).length, 2));
  assert.equal(await pages.kari.locator('#transcript img').count(), 0);
  assert.equal(await pages.nora.locator('.transcript img').count(), 0);
  await sleep(300);
  assert.deepEqual(dialogs, [], 'no dialog opened and no script error happened');
  await shoot(pages.nora, 'widget-chat.png');
});

test('after a network drop the live stream resumes where it left off', STEP, async () => {
  const agent = pages.kari;
  server.kill('SIGKILL');
  await eventually(async () => assert.equal(await agent.locator('#live-status').getAttribute('data-status'), 'reconnecting'));
  server = await startServer(site.address().port);
  // Sent the moment the server is back, before the browsers need have reconnected.
  const { chat_id: chatId, customer_token: token } = await pages.nora.evaluate(
    () => JSON.parse(sessionStorage.getItem('samtale.widget.chat')));
  const response = await fetch(`${base}/api/v1/customer/chats/${chatId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ text: 'Sendt mens forbindelsen var nede.', client_message_id: 'e2e-resume' }),
  });
  assert.equal(response.status, 201);
  await eventually(async () => assert.ok((await messages(agent).allTextContents())
    .includes('Sendt mens forbindelsen var nede.')), 30_000);
  await eventually(async () => assert.ok((await widgetMessages(pages.nora).allTextContents())
    .includes('Sendt mens forbindelsen var nede.')), 30_000);
  assert.equal(await agent.locator('#live-status').getAttribute('data-status'), 'live');
});

test('the agent transfers a chat to another category', STEP, async () => {
  const agent = pages.kari;
  await chatItem(agent, 'Per Olsen').click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Per Olsen'));
  await agent.selectOption('#transfer-target', { label: 'Teknisk hjelp (Bedrift)' });
  await agent.getByRole('button', { name: 'Overfør' }).click();
  // Transferred away, the chat is no longer the agent's: it leaves the screen and their lists.
  await eventually(async () => assert.equal(await textOf(agent.locator('#toast')), 'Chatten ble overført til Teknisk hjelp (Bedrift).'));
  assert.equal(await agent.locator('#chat-view').isVisible(), false);
  await eventually(async () => assert.equal(await agent.locator('.chat-lists').getByText('Per Olsen').count(), 0));
  const row = agent.locator('#incoming tr', { hasText: 'Per Olsen' });
  await eventually(async () => assert.match(await textOf(row), /Bedrift.*Teknisk hjelp/));
  await eventually(async () => assert.match(await textOf(pages.per.locator('.status')), /køen/));
  // The customer is told in words where the chat went, not only her place in the queue.
  await eventually(async () => assert.ok((await widgetMessages(pages.per).allTextContents())
    .includes('Du er satt over til Teknisk hjelp. Vent litt, så svarer en rådgiver der.')));
});

test('the agent ends a chat with a wrap-up code and a note; the customer sees it has ended', STEP, async () => {
  const agent = pages.kari;
  await chatItem(agent, 'Nora Nordmann').click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Nora Nordmann'));
  await agent.locator('#end-chat').click();
  // Ending asks first, with the queue's wrap-up codes and a note for colleagues.
  const confirm = agent.locator('#confirm-dialog');
  await confirm.waitFor();
  assert.equal(await textOf(confirm.locator('#confirm-title')), 'Avslutte chatten med Nora Nordmann?');
  assert.equal(await agent.evaluate(() => document.activeElement.id), 'confirm-cancel', 'the safe choice has the focus');
  const codes = confirm.getByRole('group', { name: 'Hva gjaldt chatten?' });
  assert.deepEqual((await codes.locator('label').allTextContents()).sort(),
    ['Abonnement', 'Bestilling', 'Faktura', 'Feil og driftsavbrudd']);
  await codes.getByLabel('Feil og driftsavbrudd').check();
  await confirm.getByLabel('Notat').fill('Dårlig dekning i Tromsø; meldt til nettdrift.');
  assert.equal(await textOf(confirm.locator('.field-hint')), 'Bare kollegaer ser dette, aldri kunden.');
  await shoot(agent, 'console-end-dialog.png');
  await confirm.getByRole('button', { name: 'Avslutt chat' }).click();
  await eventually(async () => assert.equal(await confirm.isVisible(), false));
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Avsluttet'));
  // What it was wrapped up with is in the customer information, for colleagues.
  await eventually(async () => {
    const info = await textOf(agent.locator('#customer-info'));
    assert.ok(info.includes('Feil og driftsavbrudd') && info.includes('meldt til nettdrift'), info);
  });
  assert.equal(await agent.locator('#composer').isVisible(), false);
  await eventually(async () => assert.equal(await agent.locator('#passive-chats').getByText('Nora Nordmann').count(), 1));
  assert.equal(await agent.locator('#active-chats .chat-item').count(), 0);
  await eventually(async () => assert.equal(
    await textOf(pages.nora.locator('.status')), 'Chatten er avsluttet. Takk for praten!'));
  assert.equal(await pages.nora.getByRole('button', { name: 'Start en ny chat' }).isVisible(), true);
});

test('the customer closes the widget, which ends the chat for the agent', STEP, async () => {
  const agent = pages.kari;
  const pickUp = agent.getByRole('button', { name: 'Ta chatten fra Per Olsen' });
  await pickUp.focus();
  await agent.keyboard.press('Enter');
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Pågår'));
  assert.equal(await textOf(agent.locator('#chat-title')), 'Per Olsen');
  await eventually(async () => assert.match(await textOf(pages.per.locator('.status')), /Kari Nordmann/));

  // × asks first; the chat runs on until the customer confirms.
  await pages.per.getByRole('button', { name: 'Avslutt chatten', exact: true }).first().click();
  const asking = pages.per.getByRole('group', { name: 'Avslutte chatten?' });
  await asking.waitFor();
  assert.equal(await textOf(agent.locator('#chat-status')), 'Pågår');
  await asking.getByRole('button', { name: 'Avslutt chatten' }).click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Avsluttet'));
  assert.ok((await textOf(agent.locator('#transcript'))).includes('Per Olsen lukket chatten.'));
  await eventually(async () => assert.equal(await agent.locator('#active-chats .chat-item').count(), 0));
  assert.equal(await pages.per.locator('.panel').isVisible(), false);
  assert.equal(await pages.per.getByRole('button', { name: 'Chat med oss' }).isVisible(), true);
});

test('one button logs the agent in to and out of all their queues', STEP, async () => {
  const agent = pages.kari;
  const toggle = agent.locator('#presence-toggle');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  await eventually(async () => assert.equal(await toggle.getAttribute('aria-pressed'), 'true'));
  assert.equal(await textOf(agent.locator('#presence-label')), 'Pålogget køene');
  await agent.getByRole('tab', { name: 'Køoversikt' }).click();
  const loggedIn = agent.locator('.queue-card [data-figure="loggedInAgents"] dd');
  await eventually(async () => assert.deepEqual(await loggedIn.allTextContents(), ['1', '1']));
  await toggle.click();
  await eventually(async () => assert.deepEqual(await loggedIn.allTextContents(), ['0', '0']));
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
});

/** Calls the API as the administrator; the JSON answer. */
/** The administrator's token for the API steps: one sign-in, kept (sign-ins are rate limited). */
let adminToken;

async function asAdmin(method, path, body) {
  const call = () => fetch(`${base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  let response = adminToken && await call();
  if (!response || response.status === 401) {
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    assert.equal(login.status, 200, 'the administrator signs in');
    adminToken = (await login.json()).token;
    response = await call();
  }
  assert.ok(response.ok, `${method} ${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

/** A customer starts a chat in a Privat category over the API; (chat id, token). */
async function customerInPrivat(name) {
  const config = await (await fetch(`${base}/api/v1/widget/config`)).json();
  const privat = config.queues.find((q) => q.name === 'Privat');
  const category = config.categories.find((c) => c.queue_id === privat.queue_id);
  const response = await fetch(`${base}/api/v1/customer/chats`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ category_id: category.category_id, name, fields: { email: 'kunde@example.no' } }),
  });
  const started = await response.json();
  assert.ok(response.ok, JSON.stringify(started));
  return [started.chat_id, started.customer_token];
}

test('routing offers the agent a chat he accepts; one he lets run out pauses him; signing out puts his chat back in the queue', STEP, async () => {
  const agent = await newPage('ola');
  await signIn(agent, 'ola');
  const queues = await asAdmin('GET', '/queues');
  const privat = queues.find((q) => q.name === 'Privat');
  await asAdmin('PATCH', `/queues/${privat.queue_id}`, { offer_timeout_seconds: 6 });
  await agent.locator('#presence-toggle').click();
  await eventually(async () => assert.equal(await agent.locator('#presence-toggle').getAttribute('aria-pressed'), 'true'));

  const [first, firstToken] = await customerInPrivat('Olga Tilbud');
  const offer = agent.locator('#offered-chats .offer', { hasText: 'Olga Tilbud' });
  await offer.waitFor();
  assert.match(await textOf(offer.locator('.offer-left')), /^Går videre om \d+ s$/);
  await shoot(agent, 'console-offer.png');
  await offer.getByRole('button', { name: 'Ta imot' }).click();
  await eventually(async () => assert.equal(await chatItem(agent, 'Olga Tilbud').count(), 1));
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Olga Tilbud'));

  // Nobody answers the next one: it moves on, and Ola is paused until he says he is back.
  const [second, secondToken] = await customerInPrivat('Sander Ubesvart');
  await agent.locator('#offered-chats .offer', { hasText: 'Sander Ubesvart' }).waitFor();
  await eventually(async () => assert.equal(await agent.locator('#paused-note').isVisible(), true), 20_000);
  assert.match(await textOf(agent.locator('#paused-note')), /ikke ble besvart i tide/);
  await eventually(async () => assert.equal(await agent.locator('#offered-chats .offer').count(), 0));
  const pause = agent.locator('#pause-toggle');
  assert.equal(await textOf(pause), 'Gjenoppta');
  await shoot(agent, 'console-paused.png');
  await pause.click();
  await eventually(async () => assert.equal(await agent.locator('#paused-note').isVisible(), false));
  // Back at his desk, he is offered the chat again.
  await agent.locator('#offered-chats .offer', { hasText: 'Sander Ubesvart' }).waitFor();
  await agent.locator('#offered-chats .offer', { hasText: 'Sander Ubesvart' }).getByRole('button', { name: 'Avslå' }).click();
  await eventually(async () => assert.equal(await agent.locator('#offered-chats .offer').count(), 0));

  // Leave things as the story found them: offers off, the customers gone, Ola signed out.
  await asAdmin('PATCH', `/queues/${privat.queue_id}`, { offer_timeout_seconds: null });
  const close = (chat, token) => fetch(`${base}/api/v1/customer/chats/${chat}/close`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}',
  });
  await close(second, secondToken);
  // Signing out with Olga's chat still open asks first, then puts it back in the queue.
  await agent.locator('#sign-out').click();
  const confirm = agent.locator('#confirm-dialog');
  await confirm.waitFor();
  assert.match(await textOf(confirm.locator('#confirm-title')), /pågående chatter \(1\)/);
  await confirm.getByRole('button', { name: 'Sett tilbake i køen og logg ut' }).click();
  await agent.locator('#login-view').waitFor();
  await eventually(async () => assert.deepEqual(
    (await asAdmin('GET', '/chats/waiting')).map((c) => c.customer_name), ['Olga Tilbud']));
  await close(first, firstToken);
  await eventually(async () => assert.deepEqual(
    (await asAdmin('GET', '/chats/waiting')).map((c) => c.customer_name), []));
});

test('a supervisor sees the board and logs another agent in and out of a queue', STEP, async () => {
  const supervisor = await newPage('siri');
  await signIn(supervisor, 'siri');
  await supervisor.getByRole('tab', { name: 'Køoversikt' }).click();
  const privat = supervisor.locator('.queue-card', { hasText: 'Privat' });
  await privat.locator('summary').click();
  const kari = privat.locator('li', { hasText: 'Kari Nordmann' });
  // Her real state, and the one button that changes it: she is signed in, not in the queue.
  await eventually(async () => assert.equal(await textOf(kari.locator('.agent-status')), 'avlogget'));
  assert.equal(await kari.getByRole('button').count(), 1);
  await privat.getByRole('button', { name: 'Logg Kari Nordmann inn i Privat' }).click();
  await eventually(async () => assert.equal(await textOf(kari.locator('.agent-status')), 'Klar'));
  assert.equal(await kari.getByRole('button').count(), 1);
  await eventually(async () => assert.equal(await textOf(privat.locator('[data-figure="loggedInAgents"] dd')), '1'));
  // Kari's own console learns it live: her button now shows her logged in, to one queue of two.
  await eventually(async () => assert.equal(await pages.kari.locator('#presence-toggle').getAttribute('aria-pressed'), 'true'));
  await eventually(async () => assert.equal(await textOf(pages.kari.locator('#presence-label')), 'Pålogget 1 av 2 køer'));
  await shoot(supervisor, 'console-queues.png');

  await privat.getByRole('button', { name: 'Logg Kari Nordmann ut av Privat' }).click();
  await eventually(async () => assert.equal(await textOf(kari.locator('.agent-status')), 'avlogget'));
  await eventually(async () => assert.equal(await pages.kari.locator('#presence-toggle').getAttribute('aria-pressed'), 'false'));
});

test('an administrator has the administration module', STEP, async () => {
  const admin = await newPage('admin');
  await signIn(admin, 'admin', ADMIN_PASSWORD);
  await admin.getByRole('tab', { name: 'Administrasjon' }).click();
  for (const section of ['Brukere', 'Køer', 'Medlemskap', 'Kategorier', 'Felt i kontaktskjemaet']) {
    await admin.getByRole('region', { name: section }).waitFor();
  }
  const categories = admin.getByRole('region', { name: 'Kategorier' });
  await categories.getByLabel('Navn', { exact: true }).fill('Mobilt bredbånd');
  await categories.getByRole('button', { name: 'Opprett' }).click();
  await eventually(async () => assert.ok((await textOf(categories.locator('table'))).includes('Mobilt bredbånd')));

  // Who is in which queue: Ola out of Bedrift from the table, and back in with the form, which
  // keeps the queue and user it saved (it used to jump back to the first queue).
  const membership = admin.getByRole('region', { name: 'Medlemskap' });
  const olaInBedrift = membership.locator('tbody tr', { hasText: 'Ola Hansen' }).filter({ hasText: 'Bedrift' });
  await membership.getByRole('button', { name: 'Fjern Ola Hansen fra Bedrift' }).click();
  await eventually(async () => assert.equal(await olaInBedrift.count(), 0));
  await membership.getByLabel('Kø').selectOption({ label: 'Bedrift' });
  await membership.getByLabel('Bruker').selectOption({ label: 'Ola Hansen' });
  await membership.getByRole('button', { name: 'Legg til i kø' }).click();
  await eventually(async () => assert.equal(await olaInBedrift.count(), 1));
  assert.equal(await membership.getByLabel('Kø').locator('option:checked').textContent(), 'Bedrift');
  assert.equal(await membership.getByLabel('Bruker').locator('option:checked').textContent(), 'Ola Hansen');

  // A forgotten password: the administrator sets a new one, which then signs the user in.
  await asAdmin('POST', '/users', {
    username: 'glemsk', display_name: 'Glemsk Bruker', password: 'det gamle passordet', role: 'agent', max_concurrent_chats: 1,
  });
  await admin.getByRole('tab', { name: 'Køoversikt' }).click();
  await admin.getByRole('tab', { name: 'Administrasjon' }).click();
  const users = admin.getByRole('region', { name: 'Brukere' });
  await users.getByLabel('Bruker', { exact: true }).selectOption({ label: 'Glemsk Bruker (glemsk)' });
  await users.getByLabel('Nytt passord').fill('et helt nytt passord');
  // Once saved, one sign-in: polling it would spend the login limits the other steps need.
  const [saved] = await Promise.all([
    admin.waitForResponse((r) => r.url().includes('/api/v1/users/') && r.request().method() === 'PATCH'),
    users.getByRole('button', { name: 'Sett nytt passord' }).click(),
  ]);
  assert.equal(saved.status(), 200);
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'glemsk', password: 'et helt nytt passord' }),
  });
  assert.equal(login.status, 200);

  // Queue settings the server has: the service-level target is set, and cleared again.
  const settings = admin.getByRole('region', { name: 'Køinnstillinger' });
  const privat = settings.getByRole('group', { name: 'Privat' });
  const privatId = (await asAdmin('GET', '/widget/config')).queues.find((q) => q.name === 'Privat').queue_id;
  await privat.getByLabel('Mål for servicenivå, %').fill('101');
  await privat.getByRole('button', { name: 'Lagre' }).click();
  await privat.getByRole('alert').filter({ hasText: 'between 1 and 100' }).waitFor();
  await privat.getByLabel('Mål for servicenivå, %').fill('90');
  await privat.getByRole('button', { name: 'Lagre' }).click();
  await eventually(async () => assert.equal((await asAdmin('GET', `/queues/${privatId}`)).service_level_target_percent, 90));
  await settings.getByRole('group', { name: 'Privat' }).getByLabel('Mål for servicenivå, %').fill('');
  await settings.getByRole('group', { name: 'Privat' }).getByRole('button', { name: 'Lagre' }).click();
  await eventually(async () => assert.equal((await asAdmin('GET', `/queues/${privatId}`)).service_level_target_percent, null));
  await admin.locator('.tab-content').evaluate((el) => { el.scrollTop = 0; });
  await shoot(admin, 'console-admin.png');
});

// ---- names in both languages; queues, categories and the form's fields changed in place ----
//
// On a queue of their own, created here and removed at the end, and on the category the step
// before created: the demo's queues and categories stay as the later steps expect them.

/** The queue these steps create, rename and remove. */
const FRESH = { name: 'Reklamasjon', renamed: 'Klager', en: 'Complaints' };

const adminRegion = (name) => pages.admin.getByRole('region', { name, exact: true });
/** The pre-chat form's field keys, in the order the widget shows them. */
const widgetFields = (page) => page.locator('form.prechat .field[data-field]').evaluateAll((rows) => rows.map((row) => row.dataset.field));
const fieldKeys = async () => (await asAdmin('GET', '/widget/config')).fields.map((f) => f.key);

test('the administrator creates a queue, renames it in place with an English name, and an English console calls it by that name, in the transfer select too', STEP, async () => {
  const admin = pages.admin;
  // Still on the view the step before left open: a click on its tab would redraw it while
  // the name is being typed.
  assert.equal(await admin.getAttribute('#tab-admin', 'aria-selected'), 'true');
  const queues = adminRegion('Køer');
  await queues.getByLabel('Navn', { exact: true }).fill(FRESH.name);
  await queues.getByRole('button', { name: 'Opprett' }).click();
  await queues.locator('tbody tr', { hasText: FRESH.name }).waitFor();

  // Cancel puts the row back as it was, the focus on its button.
  await queues.getByRole('button', { name: `Gi nytt navn til ${FRESH.name}` }).click();
  const editor = queues.locator('tbody form');
  assert.equal(await editor.getByLabel('Navn', { exact: true }).inputValue(), FRESH.name);
  assert.equal(await admin.evaluate(() => document.activeElement?.name), 'name', 'the name has the focus');
  await editor.getByRole('button', { name: 'Avbryt' }).click();
  assert.equal(await editor.count(), 0);
  assert.equal(await admin.evaluate(() => document.activeElement?.getAttribute('aria-label')), `Gi nytt navn til ${FRESH.name}`);

  await queues.getByRole('button', { name: `Gi nytt navn til ${FRESH.name}` }).click();
  await editor.getByLabel('Navn', { exact: true }).fill(FRESH.renamed);
  await editor.getByLabel('Navn på engelsk').fill(FRESH.en);
  await editor.getByRole('button', { name: 'Lagre' }).click();
  const row = queues.locator('tbody tr', { hasText: FRESH.renamed });
  await eventually(async () => assert.ok((await textOf(row)).includes(FRESH.en)));
  const queue = (await asAdmin('GET', '/widget/config')).queues.find((q) => q.name === FRESH.renamed);
  assert.equal(queue?.name_en, FRESH.en);

  // In English the console names it in English: the transfer select, the administration's own
  // selects and buttons; back in Norwegian, in Norwegian.
  const transferTargets = () => admin.locator('#transfer-target option').allTextContents();
  assert.ok((await transferTargets()).includes(FRESH.renamed));
  await admin.locator('.topbar .language-select').selectOption('en');
  try {
    await eventually(async () => assert.ok((await transferTargets()).includes(FRESH.en)));
    assert.equal((await transferTargets()).includes(FRESH.renamed), false);
    await admin.getByRole('region', { name: 'Queues', exact: true }).getByRole('button', { name: `Rename ${FRESH.en}` }).waitFor();
    const membershipQueues = admin.getByRole('region', { name: 'Membership' }).getByLabel('Queue').locator('option');
    assert.ok((await membershipQueues.allTextContents()).includes(FRESH.en));
  } finally {
    // The choice is the browser's: every later page would open in English.
    await admin.locator('.topbar .language-select').selectOption('nb');
  }
  await eventually(async () => assert.ok((await transferTargets()).includes(FRESH.renamed)));
  await queues.getByRole('button', { name: `Gi nytt navn til ${FRESH.renamed}` }).waitFor();
  assert.deepEqual(dialogs, []);
});

test('the administrator gives a category an English name and leads it to another queue; an English widget lists it by that name', STEP, async () => {
  const categories = adminRegion('Kategorier');
  await categories.getByRole('button', { name: 'Endre Mobilt bredbånd' }).click();
  const editor = categories.locator('tbody form');
  await editor.getByLabel('Navn på engelsk').fill('Mobile broadband');
  await editor.getByLabel('Kø', { exact: true }).selectOption({ label: FRESH.renamed });
  await editor.getByRole('button', { name: 'Lagre' }).click();
  const row = categories.locator('tbody tr', { hasText: 'Mobilt bredbånd' });
  await eventually(async () => assert.match(await textOf(row), new RegExp(`^Mobilt bredbåndMobile broadband${FRESH.renamed}`)));
  const { categories: listed, queues } = await asAdmin('GET', '/widget/config');
  const category = listed.find((c) => c.name === 'Mobilt bredbånd');
  assert.equal(category.name_en, 'Mobile broadband');
  assert.equal(category.queue_id, queues.find((q) => q.name === FRESH.renamed).queue_id);

  const customer = await newPage('emma');
  await customer.goto(`http://127.0.0.1:${site.address().port}/en`);
  await customer.getByRole('button', { name: 'Chat with us' }).click();
  const topics = await customer.locator('#samtale-field-category_id option').allTextContents();
  assert.ok(topics.includes('Mobile broadband'), topics.join(', '));
  assert.equal(topics.includes('Mobilt bredbånd'), false);
  // The demo's own categories have English names too.
  assert.ok(topics.includes('Invoice'), topics.join(', '));
  await customer.close();
  assert.deepEqual(dialogs, []);
});

test('before the chat starts, the widget says no adviser is logged in to the chosen topic\'s queue, and offers to leave a message', STEP, async () => {
  // Kari logs in to her queues (Privat and Bedrift); nobody is a member of the new one.
  const agent = pages.kari;
  const toggle = agent.locator('#presence-toggle');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  await eventually(async () => assert.equal(await toggle.getAttribute('aria-pressed'), 'true'));
  try {
    await noAgentNotice();
  } finally {
    // Signed out of the queues again, as the later steps expect her.
    await toggle.click();
    await eventually(async () => assert.equal(await toggle.getAttribute('aria-pressed'), 'false'));
  }
  assert.deepEqual(dialogs, []);
});

/** The pre-chat form for the new queue's topic (nobody in it) and for Faktura (Kari in Bedrift). */
async function noAgentNotice() {
  const customer = await newPage('nils');
  await customer.goto(`${base}/widget`);
  const notice = customer.locator('.no-agent');
  const leave = customer.getByRole('button', { name: 'Legg igjen en melding' });
  const start = customer.locator('form.prechat button[type=submit]');
  assert.equal(await notice.getAttribute('role'), 'status');
  await customer.selectOption('#samtale-field-category_id', { label: 'Mobilt bredbånd' });
  await eventually(async () => assert.equal(await textOf(notice),
    'Ingen rådgivere er pålogget akkurat nå. Du kan starte chatten og vente, eller legge igjen en melding.'));
  assert.equal(await leave.isVisible(), true);
  assert.equal(await start.isDisabled(), false, 'the customer may start and wait');
  await shoot(customer, 'widget-no-agent.png');
  // A topic Kari takes: no notice, no message button; back again, both.
  await customer.selectOption('#samtale-field-category_id', { label: 'Faktura' });
  await eventually(async () => assert.equal(await textOf(notice), ''));
  assert.equal(await leave.isVisible(), false);
  await customer.selectOption('#samtale-field-category_id', { label: 'Mobilt bredbånd' });
  await eventually(async () => assert.match(await textOf(notice), /^Ingen rådgivere er pålogget/));
  assert.equal(await leave.isVisible(), true);
  await customer.close();
}

test('the administrator adds a select field with English options and moves fields up; the widget shows them in the new order, the options in English in an English widget', STEP, async () => {
  const admin = pages.admin;
  const section = adminRegion('Felt i kontaktskjemaet');
  const before = await fieldKeys();
  assert.deepEqual(before, ['email', 'phone', 'customer_number', 'language']);
  await section.getByLabel('Nøkkel').fill('contact_time');
  await section.getByLabel('Ledetekst', { exact: true }).fill('Når passer det?');
  await section.getByLabel('Ledetekst på engelsk').fill('When suits you?');
  await section.getByLabel('Type').selectOption('select');
  await section.getByLabel('Valg (kommaseparert)', { exact: true }).fill('Morgen, Kveld');
  await section.getByLabel('Valg på engelsk (kommaseparert, samme rekkefølge)').fill('Morning, Evening');
  await section.getByRole('button', { name: 'Opprett' }).click();
  await eventually(async () => assert.deepEqual(await fieldKeys(), [...before, 'contact_time']));
  const keysShown = () => section.locator('tbody tr td:first-child').allTextContents();
  await eventually(async () => assert.deepEqual(await keysShown(), [...before, 'contact_time']));
  assert.equal(await section.getByRole('button', { name: 'Flytt E-post opp' }).getAttribute('aria-disabled'), 'true', 'the first goes no higher');

  // Each move swaps two neighbours; the button keeps the focus through the redraw.
  await section.getByRole('button', { name: 'Flytt Telefon opp' }).click();
  const moved = ['phone', 'email', 'customer_number', 'language', 'contact_time'];
  await eventually(async () => assert.deepEqual(await keysShown(), moved));
  assert.deepEqual(await fieldKeys(), moved);
  assert.equal(await admin.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Flytt Telefon opp');
  await section.getByRole('button', { name: 'Flytt Når passer det? opp' }).click();
  const order = ['phone', 'email', 'customer_number', 'contact_time', 'language'];
  await eventually(async () => assert.deepEqual(await keysShown(), order));
  assert.deepEqual(await fieldKeys(), order);

  const customer = await newPage('olivia');
  await customer.goto(`${base}/widget`);
  await customer.locator('#samtale-field-name').waitFor();
  assert.deepEqual(await widgetFields(customer), ['name', 'category_id', ...order]);
  assert.deepEqual(await customer.locator('#samtale-field-contact_time option').allTextContents(), ['Velg …', 'Morgen', 'Kveld']);
  await customer.goto(`http://127.0.0.1:${site.address().port}/en`);
  await customer.getByRole('button', { name: 'Chat with us' }).click();
  assert.deepEqual(await widgetFields(customer), ['name', 'category_id', ...order]);
  assert.equal(await textOf(customer.locator('label[for="samtale-field-contact_time"]')), 'When suits you?');
  const options = customer.locator('#samtale-field-contact_time option');
  assert.deepEqual(await options.allTextContents(), ['Choose …', 'Morning', 'Evening']);
  // What is sent is the Norwegian option.
  assert.deepEqual(await options.evaluateAll((all) => all.map((o) => o.value)), ['', 'Morgen', 'Kveld']);
  await customer.close();

  // As the story found it: the field gone, e-mail first again.
  await section.getByRole('button', { name: 'Fjern Når passer det?' }).click();
  await eventually(async () => assert.deepEqual(await keysShown(), ['phone', 'email', 'customer_number', 'language']));
  await section.getByRole('button', { name: 'Flytt E-post opp' }).click();
  await eventually(async () => assert.deepEqual(await keysShown(), before));
  assert.deepEqual(await fieldKeys(), before);
  assert.deepEqual(dialogs, []);
});

/** Asks the confirmation dialog's question and says yes; the answer to the DELETE it sends. */
async function removeConfirmed(page, button, title) {
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'DELETE'),
    (async () => {
      await button.click();
      const dialog = page.locator('#confirm-dialog');
      await dialog.waitFor();
      assert.equal(await textOf(dialog.locator('#confirm-title')), title);
      await dialog.locator('#confirm-ok').click();
    })(),
  ]);
  return answer;
}

test('a queue a category leads to is not removed: the console says why and the queue stays; the category removed, the empty queue goes', STEP, async () => {
  const admin = pages.admin;
  const queues = adminRegion('Køer');
  const refused = await removeConfirmed(admin, queues.getByRole('button', { name: `Fjern ${FRESH.renamed}` }), `Fjerne køen ${FRESH.renamed}?`);
  assert.equal(refused.status(), 409);
  const problem = await refused.json();
  assert.match(problem.type, /\/queue-in-use$/);
  assert.ok(problem.detail, 'the server says what uses it');
  const toast = admin.locator('#toast');
  await eventually(async () => assert.equal(await textOf(toast), `Køen er i bruk og kan ikke fjernes. ${problem.detail}`));
  assert.equal(await toast.getAttribute('data-kind'), 'error');
  assert.ok((await asAdmin('GET', '/widget/config')).queues.some((q) => q.name === FRESH.renamed), 'the queue stays');
  assert.equal(await queues.locator('tbody tr', { hasText: FRESH.renamed }).count(), 1);

  const categories = adminRegion('Kategorier');
  const gone = await removeConfirmed(admin, categories.getByRole('button', { name: 'Fjern Mobilt bredbånd' }), 'Fjerne kategorien Mobilt bredbånd?');
  assert.equal(gone.status(), 204);
  await eventually(async () => assert.equal(await categories.locator('tbody tr', { hasText: 'Mobilt bredbånd' }).count(), 0));
  assert.equal((await asAdmin('GET', '/widget/config')).categories.some((c) => c.name === 'Mobilt bredbånd'), false);

  const removed = await removeConfirmed(admin, queues.getByRole('button', { name: `Fjern ${FRESH.renamed}` }), `Fjerne køen ${FRESH.renamed}?`);
  assert.equal(removed.status(), 204);
  await eventually(async () => assert.equal(await textOf(toast), 'Fjernet.'));
  await eventually(async () => assert.equal(await queues.locator('tbody tr', { hasText: FRESH.renamed }).count(), 0));
  assert.equal((await asAdmin('GET', '/widget/config')).queues.some((q) => q.name === FRESH.renamed), false);
  assert.equal(await admin.locator('#transfer-target option', { hasText: FRESH.renamed }).count(), 0);
  assert.deepEqual(dialogs, []);
});

test('a supervisor sees today\'s chart, audits a chat and replays it', STEP, async () => {
  const supervisor = pages.siri;
  await supervisor.reload();
  await supervisor.locator('#console-view').waitFor();
  await supervisor.getByRole('tab', { name: 'Køoversikt' }).click();
  await eventually(async () => assert.equal(await supervisor.locator('#day-chart svg.day-chart-svg').count(), 1));
  assert.ok(await supervisor.locator('#day-chart .bar.offered').count() > 0, 'the chart has bars');
  // Every queue aims at the default 80 %: the target line is drawn for all of them together.
  assert.equal(await textOf(supervisor.locator('#day-chart .sl-target-label')), 'Mål 80 %');
  await supervisor.getByRole('button', { name: 'Siste time' }).click();
  await eventually(async () => assert.equal(
    await supervisor.getByRole('button', { name: 'Siste time' }).getAttribute('aria-pressed'), 'true'));
  assert.ok(await supervisor.locator('#day-chart .bar.offered').count() > 0, 'this hour\'s chats are in the last hour');
  await supervisor.getByRole('button', { name: 'Hele dagen' }).click();
  await supervisor.locator('.tab-content').evaluate((el) => { el.scrollTop = 0; });
  await shoot(supervisor, 'console-supervisor-chart.png');

  await supervisor.getByRole('tab', { name: 'Historikk' }).click();
  await supervisor.getByRole('button', { name: 'Revisjon og avspilling av chatten med Nora Nordmann' }).click();
  const dialog = supervisor.locator('#audit-dialog');
  await dialog.waitFor();
  const types = dialog.locator('.audit-table tbody tr');
  await eventually(async () => assert.ok((await types.count()) > 2));
  const listed = await types.evaluateAll((rows) => rows.map((row) => row.dataset.type));
  for (const type of ['ChatRequested', 'ChatAssigned', 'MessageSent', 'ChatEnded']) {
    assert.ok(listed.includes(type), `the audit lists ${type}: ${listed}`);
  }
  assert.equal(listed[0], 'ChatRequested');
  // By default the replay shows the chat as it ended.
  await eventually(async () => assert.equal(await dialog.locator('#replay-status').getAttribute('data-status'), 'ended'));
  assert.ok(await dialog.locator('#replay-transcript .message').count() > 0);

  await types.first().locator('.link-button').click();
  await eventually(async () => assert.equal(await dialog.locator('#replay-status').getAttribute('data-status'), 'waiting'));
  assert.equal(await dialog.locator('#replay-transcript .message').count(), 0);
  assert.equal(await supervisor.locator('#replay-slider').inputValue(), '0');

  // The slider walks through the chat: after the assignment, Kari has it.
  const assigned = listed.indexOf('ChatAssigned');
  await supervisor.locator('#replay-slider').fill(String(assigned + 1));
  await eventually(async () => assert.equal(await dialog.locator('#replay-status').getAttribute('data-status'), 'assigned'));
  assert.ok((await textOf(dialog.locator('#replay-state'))).includes('Kari Nordmann'));
  assert.ok(await dialog.locator('#replay-transcript .message').count() >= 1);
  await shoot(supervisor, 'console-audit.png');
  await supervisor.locator('#audit-close').click();
  assert.equal(await dialog.isVisible(), false);
  assert.deepEqual(dialogs, []);
});

test('a supervisor searches the history and exports it as CSV', STEP, async () => {
  const supervisor = pages.siri;
  await supervisor.getByRole('tab', { name: 'Historikk' }).click();
  const search = supervisor.getByRole('form', { name: 'Søk i historikken' });
  await search.getByLabel('Kunde', { exact: true }).fill('nora');
  await search.getByLabel('Status', { exact: true }).selectOption('ended');
  await search.getByRole('button', { name: 'Søk' }).click();
  const rows = supervisor.locator('#history tbody tr');
  await eventually(async () => assert.deepEqual(
    await rows.locator('.customer-cell').allTextContents(), ['Nora Nordmann']));
  // A last day before the first is an empty period, not an error.
  await search.getByLabel('Fra dato').fill('2031-01-02');
  await search.getByLabel('Til dato').fill('2031-01-01');
  await search.getByRole('button', { name: 'Søk' }).click();
  await supervisor.locator('#history .empty-state').waitFor();
  const today = new Date().toLocaleDateString('sv-SE');
  await search.getByLabel('Fra dato').fill(today);
  await search.getByLabel('Til dato').fill(today);

  const [download] = await Promise.all([
    supervisor.waitForEvent('download'),
    search.getByRole('button', { name: 'Eksporter CSV' }).click(),
  ]);
  const text = readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\r\n');
  assert.match(lines[0], /^chat_id,status,queue_id,customer_name,/);
  assert.equal(lines.length, 2, text);
  assert.match(lines[1], /"ended",.*"Nora Nordmann"/);
  // Back to all of today's chats, as the tests after this one find them.
  await search.getByLabel('Kunde', { exact: true }).fill('');
  await search.getByLabel('Status', { exact: true }).selectOption('');
  await search.getByRole('button', { name: 'Søk' }).click();
  await eventually(async () => assert.ok(await rows.count() > 1));
  await shoot(supervisor, 'console-history.png');
});

test('the console speaks English too', STEP, async () => {
  const agent = pages.kari;
  await agent.locator('.topbar .language-select').selectOption('en');
  assert.equal(await textOf(agent.locator('#tab-incoming [data-i18n]')), 'Incoming chats');
  assert.equal(await textOf(agent.locator('#presence-label')), 'Not taking chats');
  assert.equal(await textOf(agent.locator('#live-status')), 'Live', 'the connection status speaks the chosen language');
  assert.equal(await agent.getAttribute('html', 'lang'), 'en');
  await agent.locator('.topbar .language-select').selectOption('nb');
  assert.equal(await textOf(agent.locator('#tab-incoming [data-i18n]')), 'Innkommende chatter');
  assert.deepEqual(dialogs, []);
});

// ---- personal data: retention, legal hold, erasure (issue 17) -----------------------------
//
// The console's and the widget's parts are tested in full; the steps that need the server's
// erasure endpoints first ask whether the server has them. The probe carries no credentials,
// so it erases nothing: an endpoint that exists refuses it (401), a missing one is 404/405.
// Without them the step is reported as skipped, never as passed.

const NO_CHAT = '00000000-0000-0000-0000-000000000000';

async function hasEndpoint(path) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
  });
  return response.status !== 404 && response.status !== 405;
}

function skipped(t, what) {
  const line = `skipped: ${what} not present`;
  console.log(`# ${line}`);
  t.skip(line);
}

/** Every queue's settings, as an administrator (the page's user) reads them. */
async function queueRows(page) {
  return page.evaluate(async () => {
    const headers = { Authorization: `Bearer ${sessionStorage.getItem('samtale.token')}` };
    const { queues } = await (await fetch('/api/v1/widget/config')).json();
    return Promise.all(queues.map(async (q) => (await fetch(`/api/v1/queues/${q.queue_id}`, { headers })).json()));
  });
}

let perHeld = false;

test('the administrator sets transcript retention per queue, or keeps transcripts forever', STEP, async (t) => {
  const admin = pages.admin;
  await admin.getByRole('tab', { name: 'Administrasjon' }).click();
  const retention = admin.getByRole('region', { name: 'Oppbevaring av samtaler' });
  const privat = retention.getByRole('group', { name: 'Privat' });
  const days = privat.getByLabel('Oppbevaring av samtaler (dager)');
  const forever = privat.getByLabel('Behold for alltid');
  await days.waitFor();
  await forever.check();
  assert.equal(await days.isDisabled(), true, 'keeping forever leaves no days to enter');
  await forever.uncheck();
  assert.equal(await days.isDisabled(), false);
  await days.fill('9999');
  await privat.getByRole('button', { name: 'Lagre oppbevaringen for Privat' }).click();
  assert.equal(await textOf(privat.locator('.field-error')), 'Skriv et helt antall dager fra 1 til 3650.');
  assert.equal(await days.getAttribute('aria-invalid'), 'true');

  if (!('transcript_retention_days' in (await queueRows(admin))[0])) return skipped(t, 'transcript retention');
  await days.fill('30');
  await privat.getByRole('button', { name: 'Lagre oppbevaringen for Privat' }).click();
  await eventually(async () => assert.equal(
    (await queueRows(admin)).find((q) => q.name === 'Privat').transcript_retention_days, 30));
  const bedrift = retention.getByRole('group', { name: 'Bedrift' });
  await bedrift.getByLabel('Behold for alltid').check();
  await bedrift.getByRole('button', { name: 'Lagre oppbevaringen for Bedrift' }).click();
  await eventually(async () => assert.equal(
    (await queueRows(admin)).find((q) => q.name === 'Bedrift').transcript_retention_days, null));
  await admin.reload();
  await admin.locator('#console-view').waitFor();
  await admin.getByRole('tab', { name: 'Administrasjon' }).click();
  await eventually(async () => assert.equal(await days.inputValue(), '30'));
  assert.equal(await bedrift.getByLabel('Behold for alltid').isChecked(), true);
});

test('a supervisor places a legal hold on an ended chat', STEP, async (t) => {
  const supervisor = pages.siri;
  await supervisor.getByRole('tab', { name: 'Historikk' }).click();
  await supervisor.getByRole('button', { name: 'Revisjon og avspilling av chatten med Per Olsen' }).click();
  const privacy = supervisor.locator('#audit-privacy');
  const place = privacy.getByRole('button', { name: 'Legg på juridisk hold' });
  await place.waitFor();
  assert.equal(await privacy.getByRole('button', { name: 'Slett denne chatten' }).count(), 0,
    'only administrators erase');

  if (!(await hasEndpoint(`/chats/${NO_CHAT}/legal-hold`))) return skipped(t, 'legal hold endpoints');
  await place.click();
  await eventually(async () => assert.equal(await textOf(privacy.locator('.hold-badge')), 'Juridisk hold'));
  await privacy.getByRole('button', { name: 'Opphev juridisk hold' }).waitFor();
  perHeld = true;
});

test('the administrator erases by e-mail after a confirmation; open consoles drop the transcript', STEP, async (t) => {
  const admin = pages.admin;
  const erasure = admin.getByRole('region', { name: 'Sletting av persondata' });
  const button = erasure.getByRole('button', { name: 'Slett etter e-post' });
  await erasure.getByLabel('E-postadresse').fill('per@example.no');
  await button.click();
  const confirm = admin.locator('#confirm-dialog');
  await confirm.waitFor();
  assert.equal(await textOf(confirm.locator('#confirm-title')), 'Slette alle chatter med e-postadressen per@example.no?');
  assert.match(await textOf(confirm.locator('#confirm-text')), /slettes for godt.*kan ikke angres/);
  assert.equal(await admin.evaluate(() => document.activeElement.id), 'confirm-cancel', 'the safe choice has the focus');
  await shoot(admin, 'console-erase-confirm.png');
  await admin.keyboard.press('Escape');
  await eventually(async () => assert.equal(await confirm.isVisible(), false));
  assert.equal(await admin.evaluate(() => document.activeElement.textContent), 'Slett etter e-post', 'the focus returns');
  assert.equal(await erasure.locator('.erasure-result').count(), 0, 'cancelled: nothing was asked of the server');
  assert.equal(await textOf(pages.kari.locator('#chat-title')), 'Per Olsen');

  if (!(await hasEndpoint('/erasure-requests'))) return skipped(t, 'erasure endpoints');
  const result = erasure.locator('.erasure-result');
  if (perHeld) {
    await button.click();
    await confirm.getByRole('button', { name: 'Slett for godt' }).click();
    await eventually(async () => assert.equal(await textOf(result.locator('[data-result="skipped"]')), 'Ikke slettet: 1'));
    assert.match(await textOf(result.locator('.skipped-list li')), /under juridisk hold/);
    assert.equal(await textOf(result.locator('[data-result="erased"]')), 'Slettet: 0');
    const privacy = pages.siri.locator('#audit-privacy');
    await privacy.getByRole('button', { name: 'Opphev juridisk hold' }).click();
    await eventually(async () => assert.equal(await privacy.locator('.hold-badge').count(), 0));
    await erasure.getByLabel('E-postadresse').fill('per@example.no');
  }
  await button.click();
  await confirm.getByRole('button', { name: 'Slett for godt' }).click();
  await eventually(async () => assert.equal(await textOf(result.locator('[data-result="erased"]')), 'Slettet: 1'));
  assert.equal(await result.locator('.erased-list li').count(), 1);

  // Kari still has Per's chat open: the ChatErased event empties it where she sees it.
  const kari = pages.kari;
  await eventually(async () => assert.equal(await textOf(kari.locator('#chat-title')), '(slettet)'));
  assert.equal(await textOf(kari.locator('#chat-erased')), 'Slettet');
  // Every message written by a person is now a placeholder; the service's notices never held text.
  const texts = await kari.locator('#transcript .message:not(.from-system) .message-text').allTextContents();
  assert.ok(texts.length > 0 && texts.every((text) => text === 'Innholdet er slettet.'), `placeholders only: ${texts}`);
  assert.equal((await textOf(kari.locator('#transcript'))).includes('Per'), false);
  assert.ok((await textOf(kari.locator('#passive-chats'))).includes('(slettet)'));
  // The supervisor's audit of the chat says so too, and no payload reads "null" for a name.
  const dialog = pages.siri.locator('#audit-dialog');
  await eventually(async () => assert.equal(await textOf(dialog.locator('#audit-privacy .erased-badge')), 'Slettet'));
  const payloads = (await dialog.locator('.payload').allTextContents()).join('\n');
  assert.equal(payloads.includes('Per Olsen'), false);
  assert.equal(/"(customer_name|text|answers)": null/.test(payloads), false, payloads);
  await pages.siri.locator('#audit-close').click();
  assert.deepEqual(dialogs, []);
});

test('the customer deletes her ended conversation from the widget', STEP, async (t) => {
  const customer = pages.nora;
  const remove = customer.getByRole('button', { name: 'Slett denne samtalen' });
  await remove.waitFor();
  await remove.click();
  const confirm = customer.getByRole('group', { name: 'Slette samtalen for godt?' });
  await confirm.waitFor();
  assert.equal(await customer.evaluate(() => document.querySelector('.page-host, .samtale-widget-host')
    .shadowRoot.activeElement?.textContent), 'Avbryt', 'the safe choice has the focus');
  await shoot(customer, 'widget-delete-confirm.png');
  await customer.keyboard.press('Escape');
  await eventually(async () => assert.equal(await confirm.isVisible(), false));
  assert.equal(await remove.isVisible(), true);
  assert.ok((await widgetMessages(customer).count()) > 0, 'cancelled: the conversation is still there');

  if (!(await hasEndpoint(`/customer/chats/${NO_CHAT}/erase`))) return skipped(t, 'erasure endpoints');
  const { chat_id: chatId, customer_token: token } = await customer.evaluate(
    () => JSON.parse(sessionStorage.getItem('samtale.widget.chat')));
  await remove.click();
  await confirm.getByRole('button', { name: 'Slett samtalen' }).click();
  await eventually(async () => assert.equal(await textOf(customer.locator('.deleted')),
    'Samtalen er slettet. Verken du eller vi kan se den igjen.'));
  assert.equal(await widgetMessages(customer).count(), 0);
  assert.equal(await customer.evaluate(() => sessionStorage.getItem('samtale.widget.chat')), null);
  const refused = await fetch(`${base}/api/v1/customer/chats/${chatId}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.ok([401, 403, 404].includes(refused.status), `the token opens nothing: ${refused.status}`);
  // A reload starts afresh: nothing of the conversation was left in the browser.
  await customer.reload();
  await customer.locator('#samtale-field-name').waitFor();
  await eventually(async () => assert.equal((await textOf(pages.kari.locator('#passive-chats'))).includes('Nora Nordmann'), false));
  assert.deepEqual(dialogs, []);
});

// ---- the agent's day: wrap-up, pause reasons, the board of agents -------------------------

/** The agent's state as the server holds it. */
async function presenceOf(page) {
  return page.evaluate(async () => (await fetch('/api/v1/me/presence', {
    headers: { Authorization: `Bearer ${sessionStorage.getItem('samtale.token')}` },
  })).json());
}

/** "0:27 igjen" → 27. */
const secondsShown = (text) => {
  const [, minutes, seconds] = text.match(/(\d+):(\d\d) igjen/);
  return Number(minutes) * 60 + Number(seconds);
};

test('the administrator manages pause reasons, and gives a queue a wrap-up code, a required code and wrap-up time', STEP, async () => {
  const admin = pages.admin;
  await admin.getByRole('tab', { name: 'Administrasjon' }).click();
  const reasons = admin.getByRole('region', { name: 'Pauseårsaker' });
  await eventually(async () => assert.ok((await textOf(reasons.locator('table'))).includes('Lunsj')));
  await reasons.getByLabel('Kode', { exact: true }).fill('Kurs!');
  await reasons.getByLabel('Ledetekst').fill('Kurs');
  await reasons.getByRole('button', { name: 'Legg til årsak' }).click();
  await eventually(async () => assert.notEqual(await textOf(reasons.locator('.field-error').first()), ''));
  await reasons.getByLabel('Kode', { exact: true }).fill('course');
  await reasons.getByRole('button', { name: 'Legg til årsak' }).click();
  await eventually(async () => assert.ok((await textOf(reasons.locator('table'))).includes('Kurs')));
  await reasons.getByRole('button', { name: 'Fjern Kurs' }).click();
  await eventually(async () => assert.equal((await textOf(reasons.locator('table'))).includes('Kurs'), false));

  const privat = (await asAdmin('GET', '/queues')).find((q) => q.name === 'Privat');
  const before = await asAdmin('GET', `/queues/${privat.queue_id}`);
  const wrapUp = admin.getByRole('region', { name: 'Etterarbeid og avslutningskoder' }).getByRole('group', { name: 'Privat' });
  await wrapUp.getByLabel('Kode', { exact: true }).fill('porting');
  await wrapUp.getByLabel('Ledetekst').fill('Nummerflytting');
  await wrapUp.getByRole('button', { name: 'Legg til kode' }).click();
  await eventually(async () => assert.ok((await textOf(wrapUp.locator('table'))).includes('Nummerflytting')));
  await wrapUp.getByLabel('Etterarbeid (sekunder, tomt: ingen)').fill('30');
  await wrapUp.getByLabel('Krev avslutningskode').check();
  await wrapUp.getByRole('button', { name: 'Lagre' }).click();
  await eventually(async () => {
    const after = await asAdmin('GET', `/queues/${privat.queue_id}`);
    assert.equal(after.wrap_up_seconds, 30);
    assert.equal(after.wrap_up_code_required, 1);
    // The settings the form does not show are as they were (PATCH would clear some of them).
    for (const kept of ['no_agent_notice_after_seconds', 'overflow_queue_id', 'service_level_seconds',
      'transcript_retention_days', 'offer_timeout_seconds']) {
      assert.equal(after[kept], before[kept], kept);
    }
  });
  await eventually(async () => assert.equal(await wrapUp.getByLabel('Krev avslutningskode').isChecked(), true));
  assert.equal(await wrapUp.getByLabel('Etterarbeid (sekunder, tomt: ingen)').inputValue(), '30');
  assert.deepEqual(dialogs, []);
});

test('ending a chat without the required code is refused in the dialog; with it, the wrap-up counts down and Ready ends it', STEP, async () => {
  const agent = pages.kari;
  const toggle = agent.locator('#presence-toggle');
  await toggle.click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#presence-label')), 'Pålogget køene'));
  const [chat] = await customerInPrivat('Vera Venter');
  // Routing gives it to Kari, the one agent logged in.
  await eventually(async () => assert.equal(await chatItem(agent, 'Vera Venter').count(), 1));
  await chatItem(agent, 'Vera Venter').click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Pågår'));

  await agent.locator('#end-chat').click();
  const confirm = agent.locator('#confirm-dialog');
  await confirm.waitFor();
  await confirm.getByRole('group', { name: 'Hva gjaldt chatten?' }).getByLabel('Nummerflytting').waitFor();
  await confirm.getByRole('button', { name: 'Avslutt chat' }).click();
  await eventually(async () => assert.equal(await textOf(confirm.locator('#confirm-error')), 'Velg en avslutningskode.'));
  assert.equal(await confirm.isVisible(), true, 'the dialog stays open');
  assert.equal(await textOf(agent.locator('#chat-status')), 'Pågår');
  await confirm.getByLabel('Nummerflytting').check();
  await confirm.getByRole('button', { name: 'Avslutt chat' }).click();
  await eventually(async () => assert.equal(await confirm.isVisible(), false));
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Avsluttet'));
  const view = await asAdmin('GET', `/chats/${chat}`);
  assert.deepEqual(view.wrap_up.codes, ['porting']);

  // The wrap-up: in the chat panel and beside the availability control, counting down.
  const row = agent.locator('#wrap-up-bar .wrap-up-row', { hasText: 'Vera Venter' });
  await row.waitFor();
  const left = row.locator('.wrap-up-left');
  const first = secondsShown(await textOf(left));
  assert.ok(first > 20 && first <= 30, `about 30 s left: ${first}`);
  await eventually(async () => assert.ok(secondsShown(await textOf(left)) < first, 'it counts down'));
  await eventually(async () => assert.match(await textOf(agent.locator('#wrap-up-note')), /^Etterarbeid · 0:\d\d igjen$/));
  assert.equal((await presenceOf(agent)).state, 'wrap_up');
  await shoot(agent, 'console-wrap-up.png');

  // Extended once: as much time again, and the button is spent.
  const extend = row.getByRole('button', { name: 'Forleng etterarbeidet etter chatten med Vera Venter' });
  await extend.click();
  await eventually(async () => assert.equal(await extend.isDisabled(), true));
  await eventually(async () => assert.ok(secondsShown(await textOf(left)) > 30, 'extended'));

  await row.getByRole('button', { name: /^Klar for neste chat/ }).click();
  await eventually(async () => assert.equal(await agent.locator('#wrap-up-bar').isVisible(), false));
  assert.equal(await agent.locator('#wrap-up-note').isVisible(), false);
  await eventually(async () => assert.equal((await presenceOf(agent)).state, 'ready'));
  assert.equal(await textOf(agent.locator('#presence-label')), 'Pålogget køene');
  assert.deepEqual(dialogs, []);
});

test('an agent pauses for a reason; the console shows it', STEP, async () => {
  const agent = pages.kari;
  const pause = agent.locator('#pause-toggle');
  await pause.click();
  assert.equal(await pause.getAttribute('aria-expanded'), 'true');
  const menu = agent.locator('#pause-menu');
  assert.deepEqual(await menu.locator('.pause-reason').allTextContents(), ['Borte', 'Lunsj', 'Møte', 'Opplæring']);
  await menu.getByRole('button', { name: 'Lunsj' }).click();
  await eventually(async () => assert.match(await textOf(agent.locator('#paused-note')), /^Pause: Lunsj · \d+ s$/));
  assert.equal(await menu.isVisible(), false);
  assert.equal(await textOf(pause), 'Gjenoppta');
  const presence = await presenceOf(agent);
  assert.equal(presence.state, 'paused');
  assert.equal(presence.paused_reason, 'lunch');
});

test('a supervisor sees every agent\'s state on the board of agents, and pauses, resumes and logs one out', STEP, async () => {
  const supervisor = pages.siri;
  await supervisor.getByRole('tab', { name: 'Køoversikt' }).click();
  const board = supervisor.locator('#agent-board');
  const kari = board.locator('tbody tr', { hasText: 'Kari Nordmann' });
  await eventually(async () => assert.equal(await kari.getAttribute('data-state'), 'paused'));
  const cells = kari.locator('td');
  assert.equal(await textOf(cells.nth(1)), 'Pause Lunsj');
  assert.match(await textOf(cells.nth(2)), /^\d+ s$/);
  assert.equal(await textOf(cells.nth(3)), '2 av 2');
  assert.equal(await textOf(cells.nth(4)), '0');
  assert.equal(await textOf(board.locator('tbody tr', { hasText: 'Ola Hansen' }).locator('td').nth(1)), 'Avlogget');
  await board.scrollIntoViewIfNeeded();
  await shoot(supervisor, 'console-agent-board.png');

  await kari.getByRole('button', { name: 'Gjenoppta Kari Nordmann' }).click();
  await eventually(async () => assert.equal(await kari.getAttribute('data-state'), 'ready'));
  await eventually(async () => assert.equal(await pages.kari.locator('#paused-note').isVisible(), false));
  await kari.getByLabel('Pauseårsak for Kari Nordmann').selectOption({ label: 'Møte' });
  await kari.getByRole('button', { name: 'Sett Kari Nordmann på pause' }).click();
  await eventually(async () => assert.equal(await textOf(cells.nth(1)), 'Pause Møte'));
  await eventually(async () => assert.match(await textOf(pages.kari.locator('#paused-note')), /^Pause: Møte/));

  await kari.getByRole('button', { name: 'Logg Kari Nordmann ut av alle køer' }).click();
  await eventually(async () => assert.equal(await kari.getAttribute('data-state'), 'offline'));
  await eventually(async () => assert.equal(await pages.kari.locator('#presence-toggle').getAttribute('aria-pressed'), 'false'));
  assert.equal(await pages.kari.locator('#pause-toggle').isVisible(), false);
  assert.deepEqual(dialogs, []);
});

// ---- after the chat, returning customers, opening hours, a copy by e-mail -----------------

/** The agent picks `name`'s chat up from the incoming list. */
async function agentPicksUp(page, name) {
  await page.getByRole('tab', { name: 'Innkommende chatter' }).click();
  const row = page.locator('#incoming tr', { hasText: name });
  await row.waitFor();
  await row.getByRole('button', { name: `Ta chatten fra ${name}` }).click();
  await eventually(async () => assert.equal(await textOf(page.locator('#chat-title')), name));
  await eventually(async () => assert.equal(await textOf(page.locator('#chat-status')), 'Pågår'));
}

/** The agent ends the chat on screen in the end dialog, with no code (Bedrift requires none). */
async function agentEnds(page) {
  await page.locator('#end-chat').click();
  const confirm = page.locator('#confirm-dialog');
  await confirm.waitFor();
  await confirm.getByRole('button', { name: 'Avslutt chat' }).click();
  await eventually(async () => assert.equal(await confirm.isVisible(), false));
  await eventually(async () => assert.equal(await textOf(page.locator('#chat-status')), 'Avsluttet'));
}

/** The customer gives the ended chat `score` of 5 and a comment, in the widget. */
async function customerRates(page, score, comment) {
  const form = page.locator('form.rating');
  await form.waitFor();
  await form.getByRole('button', { name: `${score} av 5` }).click();
  await form.locator('textarea').fill(comment);
  await form.getByRole('button', { name: 'Send vurdering' }).click();
  await eventually(async () => assert.equal(await textOf(page.locator('.rated')), `Takk! Du ga samtalen ${score} av 5.`));
}

test('the customer rates the chat after the agent ends it; the agent\'s console shows the rating', STEP, async () => {
  const customer = await newPage('rita');
  await customer.goto(`${base}/widget`);
  await customerStarts(customer, { name: 'Rita Rask', topic: 'Faktura', email: 'rita@example.no' });
  const agent = pages.kari;
  await agentPicksUp(agent, 'Rita Rask');
  await agentSays(agent, 'Hei Rita, fakturaen er nå kreditert.');
  await customerSays(customer, 'Supert, takk!');
  assert.equal(await agent.locator('#customer-info .rating-stars').count(), 0, 'no rating before the end');
  await agentEnds(agent);

  await customerRates(customer, 4, 'Rask og hyggelig hjelp.');
  // Live: ChatRated reaches the console, which shows the score as stars that say it aloud.
  const stars = agent.locator('#customer-info .rating-stars');
  await eventually(async () => assert.equal(await textOf(stars), '★★★★☆ 4/5'));
  assert.equal(await stars.getAttribute('aria-label'), 'Vurdert 4 av 5');
  assert.ok((await textOf(agent.locator('#customer-info'))).includes('Rask og hyggelig hjelp.'));
  assert.equal(await agent.locator('#customer-info .earlier-chats').count(), 0, 'an anonymous customer has no earlier chats');
  assert.deepEqual(dialogs, []);
});

test('a returning customer signed in on the company\'s site: the agent sees her earlier chats', STEP, async () => {
  const customer = await newPage('lise');
  await customer.goto(`http://127.0.0.1:${site.address().port}/min-side`);
  await customer.getByRole('button', { name: 'Chat med oss' }).click();
  await customerStarts(customer, { name: MEMBER.name, topic: 'Faktura', email: MEMBER.email });
  await customerSays(customer, 'Hvorfor er fakturaen høyere denne måneden?');
  const agent = pages.kari;
  await agentPicksUp(agent, MEMBER.name);
  assert.equal(await agent.locator('#customer-info .earlier-chats').count(), 0, 'her first chat has none before it');
  await agentSays(agent, 'Det er et engangsgebyr for flytting.');
  await agentEnds(agent);

  // A while later, the same signed-in customer again.
  await customer.getByRole('button', { name: 'Start en ny chat' }).click();
  await customerStarts(customer, { name: MEMBER.name, topic: 'Faktura', email: MEMBER.email });
  await customerSays(customer, 'Hei igjen! Et spørsmål til om fakturaen.');
  await agentPicksUp(agent, MEMBER.name);
  const earlier = agent.locator('#customer-info .earlier-chats');
  await eventually(async () => assert.equal(await earlier.locator('.earlier-chat').count(), 1));
  assert.equal(await textOf(earlier.locator('h4')), 'Tidligere chatter');
  const row = await textOf(earlier.locator('.earlier-chat'));
  for (const expected of ['Avsluttet', 'Kari Nordmann', 'Bedrift']) {
    assert.ok(row.includes(expected), `the earlier chat shows ${expected}: ${row}`);
  }
  assert.match(row, /\d+ meldinger/);
  assert.equal(await earlier.getByRole('button', { name: /^Revisjon/ }).count(), 0, 'agents do not audit');

  await agentSays(agent, 'Velkommen tilbake, Lise!');
  await agentEnds(agent);
  await customerRates(customer, 5, 'Fikk svar med en gang.');
  await eventually(async () => assert.equal(await textOf(agent.locator('#customer-info .rating-stars')), '★★★★★ 5/5'));
  // And it stays: the answers to loads the end's events started, which may come later, are
  // older, and do not put back the view from before the rating.
  await new Promise((done) => setTimeout(done, 2000));
  assert.equal(await textOf(agent.locator('#customer-info .rating-stars')), '★★★★★ 5/5');
  assert.equal(await earlier.locator('.earlier-chat').count(), 1);
  await shoot(agent, 'console-customer-history.png');
  assert.deepEqual(dialogs, []);
});

let closedCustomer;

test('the administrator gives a queue opening hours; outside them the widget says when it opens and cannot start; "Always open" lets the customer in', STEP, async () => {
  const admin = pages.admin;
  await admin.getByRole('tab', { name: 'Administrasjon' }).click();
  const bedrift = admin.getByRole('region', { name: 'Åpningstider' }).getByRole('group', { name: 'Bedrift', exact: true });
  const always = bedrift.getByLabel('Alltid åpen');
  await always.waitFor();
  assert.equal(await always.isChecked(), true, 'the demo queues are always open');
  await always.uncheck();
  const zone = bedrift.getByLabel('Tidssone');
  assert.equal(await zone.inputValue(), 'Europe/Oslo');
  const save = bedrift.getByRole('button', { name: 'Lagre åpningstidene for Bedrift' });
  // A time zone the server does not know: its 422, in the console's words, next to the form.
  await zone.fill('Mars/Olympus');
  await save.click();
  await eventually(async () => assert.match(await textOf(bedrift.locator('.form-error')), /^Tidene kan ikke brukes: sjekk at tidssonen finnes/));

  // Closed every weekday; open tomorrow 08:00-16:00 UTC only.
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  await zone.fill('UTC');
  await bedrift.getByRole('button', { name: 'Legg til unntak' }).click();
  const exception = bedrift.getByRole('group', { name: 'Unntak' });
  await exception.getByLabel('Dato').fill(tomorrow);
  await exception.getByLabel('Fra').fill('08:00');
  await save.click();
  await eventually(async () => assert.equal(await textOf(bedrift.locator('.form-error')),
    'Fyll ut både fra og til, eller ingen av dem (stengt).'));
  await exception.getByLabel('Til').fill('16:00');
  await save.click();
  await eventually(async () => assert.deepEqual(
    (await queueRows(admin)).find((q) => q.name === 'Bedrift').opening_hours,
    { time_zone: 'UTC', weekly: {}, exceptions: [{ date: tomorrow, spans: [{ from: '08:00:00', to: '16:00:00' }] }] }));
  assert.equal(await textOf(bedrift.locator('.form-error')), '');

  const customer = await newPage('stine');
  await customer.goto(`${base}/widget`);
  await customer.selectOption('#samtale-field-category_id', { label: 'Faktura' });
  const closed = customer.locator('.closed');
  const opens = await customer.evaluate((at) => new Intl.DateTimeFormat('nb-NO', {
    weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
  }).format(new Date(at)), `${tomorrow}T08:00:00Z`);
  await eventually(async () => assert.equal(await textOf(closed), `Vi er stengt nå. Vi åpner ${opens}.`));
  const start = customer.locator('form.prechat button[type=submit]');
  assert.equal(await start.isDisabled(), true);
  // Another topic, in a queue that is open, can start.
  await customer.selectOption('#samtale-field-category_id', { label: 'Mobil' });
  assert.equal(await closed.isVisible(), false);
  assert.equal(await start.isDisabled(), false);
  await customer.selectOption('#samtale-field-category_id', { label: 'Faktura' });
  await customer.fill('#samtale-field-name', 'Stine Stengt');
  await customer.fill('#samtale-field-email', 'stine@example.no');
  await shoot(customer, 'widget-closed.png');

  await always.check();
  assert.equal(await zone.isDisabled(), true, 'always open leaves no hours to enter');
  await save.click();
  await eventually(async () => assert.equal(
    (await queueRows(admin)).find((q) => q.name === 'Bedrift').opening_hours, null));
  await customer.reload();
  await customerStarts(customer, { name: 'Stine Stengt', topic: 'Faktura', email: 'stine@example.no' });
  await eventually(async () => assert.match(await textOf(customer.locator('.status')), /køen/));
  closedCustomer = customer;
  assert.deepEqual(dialogs, []);
});

test('the customer asks for a copy by e-mail; once the agent ends the chat, the mail arrives with the conversation', STEP, async () => {
  const customer = closedCustomer;
  assert.ok(customer, 'the customer of the step before is waiting');
  const copy = customer.locator('form.copy');
  await copy.waitFor();
  await copy.getByRole('textbox').fill('stine@example.no');
  await copy.getByRole('button', { name: 'Send meg en kopi' }).click();
  await eventually(async () => assert.equal(await textOf(customer.locator('.copy-note')),
    'Du får en kopi på stine@example.no når samtalen er avsluttet.'));
  await customerSays(customer, 'Can I change the due date of my invoice?');

  const agent = pages.kari;
  await agentPicksUp(agent, 'Stine Stengt');
  await agentSays(agent, 'Yes, it now falls on the 20th of each month.');
  const before = mailsReceived().length;
  await agentEnds(agent);

  const mail = await eventually(() => {
    const found = mailsReceived().find((m) => m.includes('Can I change the due date of my invoice?'));
    assert.ok(found, `a mail arrived (${mailsReceived().length} in all, ${before} before)`);
    return found;
  }, 30_000);
  assert.match(mail, /^To: .*stine@example\.no/m);
  assert.ok(mail.includes('Yes, it now falls on the 20th of each month.'), mail);
  assert.equal(mailsReceived().length, before + 1, 'one mail');
  assert.deepEqual(dialogs, []);
});

// ---- messages left while a queue is closed; handing a chat to a colleague -----------------

/** Bedrift's opening hours (`null`: always open), its other settings as they are. */
async function bedriftHours(hours) {
  const bedrift = (await asAdmin('GET', '/queues')).find((q) => q.name === 'Bedrift');
  const current = await asAdmin('GET', `/queues/${bedrift.queue_id}`);
  // PATCH clears an absent notice, overflow and service level: they go along unchanged.
  await asAdmin('PATCH', `/queues/${bedrift.queue_id}`, {
    no_agent_notice_after_seconds: current.no_agent_notice_after_seconds,
    overflow_queue_id: current.overflow_queue_id,
    service_level_seconds: current.service_level_seconds,
    opening_hours: hours,
  });
}

/** A mail's Subject, unfolded, its RFC 2047 encoded words (`=?utf-8?b?…?=`) decoded. */
function subjectOf(mail) {
  const head = mail.slice(0, mail.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
  const raw = head.match(/^Subject:[ \t]*(.*)$/im)?.[1] ?? '';
  return raw.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_, charset, encoding, text) => {
    const bytes = encoding.toLowerCase() === 'b'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
    return bytes.toString(/^utf-?8$/i.test(charset) ? 'utf8' : 'latin1');
  });
}

/** A staff member's bearer token. */
async function signInApi(username, password) {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(login.status, 200);
  return (await login.json()).token;
}

/** A customer leaves a message for Bedrift's Faktura over the API, as the widget does. */
async function customerLeaves(name, email, text) {
  const config = await (await fetch(`${base}/api/v1/widget/config`)).json();
  const faktura = config.categories.find((c) => c.name === 'Faktura');
  const response = await fetch(`${base}/api/v1/customer/left-messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() },
    body: JSON.stringify({ category_id: faktura.category_id, name, email, text }),
  });
  assert.equal(response.status, 201, await response.text());
}

/** The id of the element that has the focus inside the widget's shadow root. */
const widgetFocus = (page) => page.evaluate(() => document.querySelector('.page-host, .samtale-widget-host')
  .shadowRoot.activeElement?.id);

test('outside its hours a topic takes a message in the widget; the agent answers it under Beskjeder, and the answer is mailed below the customer\'s words', STEP, async () => {
  await bedriftHours({ time_zone: 'UTC', weekly: {}, exceptions: [] });
  const agent = pages.kari;
  await agent.getByRole('tab', { name: /^Beskjeder/ }).click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#left-messages .empty-state')), 'Ingen beskjeder venter på svar.'));
  assert.equal(await textOf(agent.locator('#left-count')), '0');

  const customer = await newPage('liv');
  await customer.goto(`${base}/widget`);
  await customer.fill('#samtale-field-name', 'Liv Lukket');
  await customer.selectOption('#samtale-field-category_id', { label: 'Faktura' });
  await customer.fill('#samtale-field-email', 'liv@example.no');
  await eventually(async () => assert.equal(await textOf(customer.locator('.closed')), 'Vi er stengt nå.'));
  assert.equal(await customer.locator('form.prechat button[type=submit]').isDisabled(), true);
  // Another topic, in a queue that is open, can start; it offers a message only while nobody
  // is logged in to its queue (the no-agent notice).
  await customer.selectOption('#samtale-field-category_id', { label: 'Mobil' });
  assert.equal(await customer.locator('form.prechat button[type=submit]').isDisabled(), false);
  const privat = (await (await fetch(`${base}/api/v1/widget/config`)).json()).queues.find((q) => q.name === 'Privat');
  assert.equal(await customer.getByRole('button', { name: 'Legg igjen en melding' }).isVisible(), !privat.agents_logged_in);
  await customer.selectOption('#samtale-field-category_id', { label: 'Faktura' });
  await customer.getByRole('button', { name: 'Legg igjen en melding' }).click();

  // What she typed in the pre-chat form comes along; the message itself has the focus.
  const leave = customer.locator('form.leave');
  await leave.waitFor();
  assert.equal(await customer.getByLabel('Navn').inputValue(), 'Liv Lukket');
  assert.equal(await customer.getByLabel('E-post').inputValue(), 'liv@example.no');
  assert.equal(await widgetFocus(customer), 'samtale-leave-field-text');
  // The server's 422, field by field, under its field.
  await customer.getByLabel('E-post').fill('liv@');
  await leave.getByRole('button', { name: 'Send meldingen' }).click();
  await eventually(async () => assert.equal(await textOf(customer.locator('#samtale-leave-error-email')), 'Skriv en gyldig e-postadresse.'));
  assert.equal(await customer.getByLabel('E-post').getAttribute('aria-invalid'), 'true');
  assert.equal(await widgetFocus(customer), 'samtale-leave-field-email');
  await customer.getByLabel('E-post').fill('liv@example.no');
  await leave.getByRole('button', { name: 'Send meldingen' }).click();
  await eventually(async () => assert.equal(await textOf(customer.locator('#samtale-leave-error-text')), 'Må fylles ut.'));
  assert.equal(await textOf(customer.locator('#samtale-leave-error-email')), '');
  const words = 'Fakturaen min for mars er feil: <b>to ganger</b> samme beløp.';
  await customer.getByLabel('Meldingen din').fill(words);
  await shoot(customer, 'widget-leave-message.png');
  await leave.getByRole('button', { name: 'Send meldingen' }).click();
  await eventually(async () => assert.equal(await textOf(customer.locator('.left-thanks')),
    'Takk! Vi svarer deg på e-post til liv@example.no.'));
  assert.equal(await customer.locator('.transcript, .composer').count(), 0, 'no chat view after it');
  assert.equal(await customer.evaluate(() => sessionStorage.getItem('samtale.widget.chat')), null);

  // Kari's console has it at once, counted on the tab, the customer's words as text.
  const card = agent.locator('.left-message', { hasText: 'Liv Lukket' });
  await card.waitFor();
  await eventually(async () => assert.equal(await textOf(agent.locator('#left-count')), '1'));
  const head = await textOf(card.locator('.left-head'));
  for (const expected of ['liv@example.no', 'Bedrift', 'Lagt igjen']) assert.ok(head.includes(expected), head);
  assert.equal(await textOf(card.locator('.left-text')), words);
  assert.equal(await card.locator('b').count(), 0);
  await card.getByRole('button', { name: 'Send svar' }).click();
  assert.equal(await textOf(card.locator('.form-error')), 'Skriv et svar før du sender.');
  const answer = 'Hei Liv! Den doble fakturaen er kreditert; du får en ny i morgen.';
  await card.getByLabel('Svar til Liv Lukket').fill(answer);
  assert.equal(await textOf(card.locator('.form-error')), '', 'typing answers the error');
  // A live refresh meanwhile (another message arrives) keeps what she typed, and her focus.
  await customerLeaves('Mons Melding', 'mons@example.no', 'Ring meg når dere åpner.');
  await agent.locator('.left-message', { hasText: 'Mons Melding' }).waitFor();
  await eventually(async () => assert.equal(await textOf(agent.locator('#left-count')), '2'));
  assert.equal(await card.getByLabel('Svar til Liv Lukket').inputValue(), answer);
  assert.equal(await agent.evaluate(() => document.activeElement.id), `answer-${await card.getAttribute('data-chat-id')}`);
  await agent.locator('#close-panel').click();
  await shoot(agent, 'console-left-messages.png');
  const before = mailsReceived().length;
  await card.getByRole('button', { name: 'Send svar' }).click();
  await eventually(async () => assert.equal(await card.count(), 0));
  assert.equal(await textOf(agent.locator('#left-count')), '1');

  // Answered: the answer, who gave it, and (live) that the mail went out.
  await agent.getByRole('button', { name: 'Besvart', exact: true }).click();
  const done = agent.locator('.left-message', { hasText: 'Liv Lukket' });
  await done.waitFor();
  assert.match(await textOf(done.locator('.left-answered-by')), /^Besvart av Kari Nordmann /);
  assert.equal(await textOf(done.locator('.left-answer .left-text')), answer);
  await eventually(async () => assert.equal(await done.locator('.mail-state').getAttribute('data-state'), 'mailed'), 30_000);
  assert.match(await textOf(done.locator('.mail-state')), /^Sendt på e-post /);

  const mail = await eventually(() => {
    const found = mailsReceived().find((m) => m.includes(answer));
    assert.ok(found, `the answer was mailed (${mailsReceived().length} mails, ${before} before)`);
    return found;
  }, 30_000);
  assert.match(subjectOf(mail), /The answer to your message/);
  assert.match(mail, /^To: .*liv@example\.no/m);
  assert.ok(mail.includes(words), mail);
  assert.ok(mail.indexOf(words) < mail.indexOf(answer), 'her words above the answer');
  assert.equal(mailsReceived().length, before + 1, 'one mail');

  // A colleague answers Mons while Kari looks: it leaves her list, live.
  await agent.getByRole('button', { name: 'Venter på svar', exact: true }).click();
  const mons = agent.locator('.left-message', { hasText: 'Mons Melding' });
  await mons.waitFor();
  const siri = await signInApi('siri', DEMO_PASSWORD);
  const answered = await fetch(`${base}/api/v1/left-messages/${await mons.getAttribute('data-chat-id')}/answer`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${siri}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: 'Vi ringer deg i morgen.' }),
  });
  assert.equal(answered.status, 200);
  await eventually(async () => assert.equal(await mons.count(), 0));
  await eventually(async () => assert.equal(await textOf(agent.locator('#left-count')), '0'));
  // An agent cannot list users: the name comes from the queue's roster.
  await agent.getByRole('button', { name: 'Besvart', exact: true }).click();
  await eventually(async () => assert.match(
    await textOf(agent.locator('.left-message', { hasText: 'Mons Melding' }).locator('.left-answered-by')), /^Besvart av Siri Berg /));
  await agent.getByRole('button', { name: 'Venter på svar', exact: true }).click();
  // Its mail goes out too; waited for here, so that no later step counts it as its own.
  await eventually(() => assert.ok(mailsReceived().some((m) => m.includes('Vi ringer deg i morgen.'))), 30_000);
  await bedriftHours(null);
  assert.deepEqual(dialogs, []);
});

test('an agent hands an ongoing chat to a logged-in colleague: it leaves his list and appears in hers, live; signing out, she hands hers to him, and the one he cannot take goes back to the queue', STEP, async () => {
  const ola = pages.ola;
  const kari = pages.kari;
  await signIn(ola, 'ola');
  const customer = await newPage('hanne');
  await customer.goto(`${base}/widget`);
  await customerStarts(customer, { name: 'Hanne Hjelp', topic: 'Faktura', email: 'hanne@example.no' });
  await customerSays(customer, 'Jeg vil endre fakturaadressen.');
  await agentPicksUp(ola, 'Hanne Hjelp');
  await agentSays(ola, 'Det ordner vi. Et øyeblikk.');
  await eventually(async () => assert.equal(await textOf(customer.locator('.status')), 'Du chatter med Ola Hansen.'));

  // Nobody to hand it to yet: Kari is logged out of the queues.
  await ola.getByRole('button', { name: 'Gi til kollega' }).click();
  await eventually(async () => assert.equal(await textOf(ola.locator('#toast')),
    'Ingen kollegaer er pålogget køen og ledige akkurat nå.'));
  assert.equal(await ola.locator('#confirm-dialog').isVisible(), false);

  await kari.locator('#presence-toggle').click();
  await eventually(async () => assert.equal(await textOf(kari.locator('#presence-label')), 'Pålogget køene'));
  await ola.getByRole('button', { name: 'Gi til kollega' }).click();
  const confirm = ola.locator('#confirm-dialog');
  await confirm.waitFor();
  assert.equal(await textOf(confirm.locator('#confirm-title')), 'Gi chatten med Hanne Hjelp til en kollega?');
  const colleague = confirm.getByLabel('Kollega', { exact: true });
  assert.deepEqual(await colleague.locator('option').allTextContents(), ['Velg kollega …', 'Kari Nordmann (0 chatter nå)']);
  await confirm.getByRole('button', { name: 'Gi chatten videre' }).click();
  assert.equal(await textOf(confirm.locator('#confirm-error')), 'Velg en kollega.');
  await colleague.selectOption({ label: 'Kari Nordmann (0 chatter nå)' });
  await shoot(ola, 'console-hand-over.png');

  // Kari pauses in the meantime: the server refuses, in the console's words, and the dialog stays.
  await kari.locator('#pause-toggle').click();
  await kari.locator('#pause-menu').getByRole('button', { name: 'Borte' }).click();
  await eventually(async () => assert.equal((await presenceOf(kari)).state, 'paused'));
  await confirm.getByRole('button', { name: 'Gi chatten videre' }).click();
  await eventually(async () => assert.equal(await textOf(confirm.locator('#confirm-error')),
    'Kollegaen er ikke lenger ledig i køen: logget ut, på pause eller i etterarbeid.'));
  assert.equal(await confirm.isVisible(), true);
  await kari.locator('#pause-toggle').click();
  await eventually(async () => assert.equal((await presenceOf(kari)).state, 'ready'));
  await confirm.getByRole('button', { name: 'Gi chatten videre' }).click();
  await eventually(async () => assert.equal(await confirm.isVisible(), false));

  // Gone from Ola's list, in Kari's (live, unread for her), and the customer knows who she has.
  await eventually(async () => assert.equal(await chatItem(ola, 'Hanne Hjelp').count(), 0));
  await eventually(async () => assert.equal(await ola.locator('#compose-message').isVisible(), false, 'no longer his to write to the customer'));
  assert.equal(await ola.locator('#composer').getAttribute('data-mode'), 'note', 'a note for her is all he may write');
  await eventually(async () => assert.equal(await kari.locator('#active-chats').getByText('Hanne Hjelp').count(), 1));
  await eventually(async () => assert.equal(await textOf(customer.locator('.status')), 'Du chatter med Kari Nordmann.'));
  await chatItem(kari, 'Hanne Hjelp').click();
  await eventually(async () => assert.equal(await textOf(kari.locator('#chat-title')), 'Hanne Hjelp'));
  assert.ok((await messages(kari).allTextContents()).includes('Jeg vil endre fakturaadressen.'), 'the conversation came along');
  await agentSays(kari, 'Hei Hanne, jeg tar over.');

  // Kari goes home and hands her chat to Ola, who goes on a break before it lands: it goes
  // back to the queue instead, and the login page says so.
  await ola.locator('#presence-toggle').click();
  await eventually(async () => assert.equal(await textOf(ola.locator('#presence-label')), 'Pålogget køene'));
  await kari.locator('#sign-out').click();
  const leaving = kari.locator('#confirm-dialog');
  await leaving.waitFor();
  assert.match(await textOf(leaving.locator('#confirm-title')), /pågående chatter \(1\)/);
  await leaving.getByLabel('Gi alle til en kollega').check();
  assert.equal(await textOf(leaving.locator('#confirm-ok')), 'Gi til kollega og logg ut');
  await leaving.getByLabel('Kollega', { exact: true }).selectOption({ label: 'Ola Hansen (0 chatter nå)' });
  await ola.locator('#pause-toggle').click();
  await ola.locator('#pause-menu').getByRole('button', { name: 'Lunsj' }).click();
  await eventually(async () => assert.equal((await presenceOf(ola)).state, 'paused'));
  await leaving.getByRole('button', { name: 'Gi til kollega og logg ut' }).click();
  await kari.locator('#login-view').waitFor();
  assert.equal(await textOf(kari.locator('#login-note')),
    '1 av chattene kunne ikke gis til Ola Hansen og ble satt tilbake i køen.');
  await eventually(async () => assert.deepEqual(
    (await asAdmin('GET', '/chats/waiting')).map((c) => c.customer_name), ['Hanne Hjelp']));

  // Leave things as the story found them: the customer gone, Ola signed out, Kari back.
  await customerEnds(customer);
  await eventually(async () => assert.deepEqual((await asAdmin('GET', '/chats/waiting')), []));
  await ola.locator('#sign-out').click();
  await ola.locator('#login-view').waitFor();
  assert.equal(await textOf(ola.locator('#login-note')), '');
  await signIn(kari, 'kari');
  assert.equal(await textOf(kari.locator('#login-note')), '');
  assert.deepEqual(dialogs, []);
});

test('the copy box ticked in the pre-chat form: the copy is ordered at the start and mailed once the chat ends', STEP, async () => {
  const customer = await newPage('tore');
  await customer.goto(`${base}/widget`);
  await customer.getByLabel('Send meg en kopi av samtalen på e-post').check();
  await customerStarts(customer, { name: 'Tore Tidlig', topic: 'Faktura', email: 'tore@example.no' });
  await eventually(async () => assert.equal(await textOf(customer.locator('.copy-note')),
    'Du får en kopi på tore@example.no når samtalen er avsluttet.'));
  assert.equal(await customer.locator('form.copy').isVisible(), false, 'asked for already');
  await customerSays(customer, 'Kommer kopien av seg selv?');

  const agent = pages.kari;
  await agentPicksUp(agent, 'Tore Tidlig');
  await agentSays(agent, 'Ja, den kommer når vi avslutter.');
  const before = mailsReceived().length;
  await agentEnds(agent);
  const mail = await eventually(() => {
    const found = mailsReceived().find((m) => m.includes('Kommer kopien av seg selv?'));
    assert.ok(found, `a mail arrived (${mailsReceived().length} in all, ${before} before)`);
    return found;
  }, 30_000);
  assert.match(mail, /^To: .*tore@example\.no/m);
  assert.match(subjectOf(mail), /Your conversation/);
  assert.ok(mail.includes('Ja, den kommer når vi avslutter.'), mail);
  assert.equal(mailsReceived().length, before + 1, 'one mail');
  assert.deepEqual(dialogs, []);
});

// ---- canned responses, typing, internal notes ---------------------------------------------

/** Everything the widget shows, as text: what the customer could see or have read to them. */
const widgetText = (page) => page.evaluate(() => document.querySelector('.page-host, .samtale-widget-host')
  .shadowRoot.textContent);

/** The customer of the steps below, chatting with Kari. */
let tina;

test('a supervisor keeps canned responses: adds them, a taken shortcut refused under its field, edits one and removes one', STEP, async () => {
  const supervisor = pages.siri;
  await supervisor.getByRole('tab', { name: 'Hurtigsvar', exact: true }).click();
  const list = supervisor.getByRole('region', { name: 'Hurtigsvar', exact: true });
  await list.getByText('Ingen hurtigsvar ennå.').waitFor();
  const editor = supervisor.getByRole('region', { name: 'Nytt hurtigsvar', exact: true });
  const add = async ({ title, shortcut, queue, nb, en }) => {
    await editor.getByLabel('Tittel').fill(title);
    await editor.getByLabel('Snarvei').fill(shortcut);
    if (queue) await editor.getByLabel('Gjelder').selectOption({ label: queue });
    await editor.getByLabel('Tekst (bokmål)').fill(nb);
    if (en) await editor.getByLabel('Tekst (engelsk, valgfri)').fill(en);
    await editor.getByRole('button', { name: 'Legg til hurtigsvar' }).click();
  };
  const shortcuts = () => list.locator('tbody .canned-code').allTextContents();

  await add({
    title: 'Velkomsthilsen',
    shortcut: 'hilsen',
    nb: 'Hei {customer_name}! Takk for at du venter. Jeg heter {agent_name} og hjelper deg med det.',
    en: 'Hi {customer_name}! Thanks for waiting. I am {agent_name}, and I will help you with that.',
  });
  await eventually(async () => assert.deepEqual(await shortcuts(), ['/hilsen']));
  assert.equal(await editor.getByLabel('Tittel').inputValue(), '', 'the form is ready for the next one');
  await add({ title: 'Betalingsfrist', shortcut: 'faktura_frist', queue: 'Bedrift', nb: 'Forfallsdatoen flytter du på Min side under Faktura, {customer_name}.' });
  await eventually(async () => assert.deepEqual(await shortcuts(), ['/faktura_frist', '/hilsen']));
  await add({ title: 'Dekning', shortcut: 'dekning', queue: 'Privat', nb: 'Se dekningskartet for adressen din.' });
  await eventually(async () => assert.deepEqual(await shortcuts(), ['/dekning', '/faktura_frist', '/hilsen']));
  const row = (shortcut) => list.locator('tbody tr', { hasText: `/${shortcut}` });
  assert.match(await textOf(row('faktura_frist')), /Betalingsfrist.*Bedrift/);
  assert.match(await textOf(row('hilsen')), /Alle køer.*Hi \{customer_name\}/);

  // A shortcut taken where the new one would apply: the server's 409, under the field.
  await add({ title: 'Kort hilsen', shortcut: 'hilsen', nb: 'Hei!' });
  await eventually(async () => assert.equal(await textOf(editor.locator('.field-error').nth(1)),
    'Snarveien er allerede i bruk der dette svaret gjelder.'));
  assert.equal(await editor.getByLabel('Tittel').inputValue(), 'Kort hilsen', 'what she typed stays');
  await editor.getByLabel('Snarvei').fill('hei');
  await editor.getByRole('button', { name: 'Legg til hurtigsvar' }).click();
  await eventually(async () => assert.deepEqual(await shortcuts(), ['/dekning', '/faktura_frist', '/hei', '/hilsen']));
  await list.getByRole('button', { name: 'Fjern /hei' }).click();
  await eventually(async () => assert.deepEqual(await shortcuts(), ['/dekning', '/faktura_frist', '/hilsen']));

  // Edited: the form has its values; saved, the list shows the new title.
  await list.getByRole('button', { name: 'Endre /faktura_frist' }).click();
  const editing = supervisor.getByRole('region', { name: 'Endre /faktura_frist', exact: true });
  assert.equal(await editing.getByLabel('Tittel').inputValue(), 'Betalingsfrist');
  assert.equal(await editing.getByLabel('Gjelder').locator('option:checked').textContent(), 'Bedrift');
  await editing.getByLabel('Tittel').fill('Forfallsdato');
  await editing.getByRole('button', { name: 'Lagre endringene' }).click();
  await eventually(async () => assert.match(await textOf(row('faktura_frist')), /Forfallsdato.*Bedrift/));
  await editor.waitFor();
  const kept = await asAdmin('GET', '/canned-responses');
  assert.deepEqual(kept.map((r) => [r.shortcut, r.title]),
    [['dekning', 'Dekning'], ['faktura_frist', 'Forfallsdato'], ['hilsen', 'Velkomsthilsen']]);
  assert.equal(kept.find((r) => r.shortcut === 'hilsen').queue_id, null);
  assert.deepEqual(dialogs, []);
});

test('customer and agent see each other typing; it goes when they empty the box, send, or stay silent for 5 s', STEP, async () => {
  tina = await newPage('tina');
  await tina.goto(`${base}/widget`);
  await customerStarts(tina, { name: 'Tina Taster', topic: 'Faktura', email: 'tina@example.no' });
  const agent = pages.kari;
  await agentPicksUp(agent, 'Tina Taster');
  await eventually(async () => assert.equal(await textOf(tina.locator('.status')), 'Du chatter med Kari Nordmann.'));
  const agentSees = agent.locator('#typing-indicator');
  const customerSees = tina.locator('.typing');
  const box = tina.locator('.composer textarea');
  assert.equal(await textOf(agentSees), '');

  await box.fill('Jeg lurer på');
  await eventually(async () => assert.equal(await textOf(agentSees), 'Kunden skriver…'));
  // Emptied: she has stopped, at once (not 5 s later).
  await box.fill('');
  await eventually(async () => assert.equal(await textOf(agentSees), ''), 2500);
  // Typing, then nothing more: forgotten 5 s after the last signal.
  await box.fill('Jeg lurer på om');
  await eventually(async () => assert.equal(await textOf(agentSees), 'Kunden skriver…'));
  const shownAt = Date.now();
  await sleep(3000);
  assert.equal(await textOf(agentSees), 'Kunden skriver…', 'still shown 3 s on');
  await eventually(async () => assert.equal(await textOf(agentSees), ''), 6000);
  assert.ok(Date.now() - shownAt >= 4000, `forgotten after 5 s, not at once (${Date.now() - shownAt} ms)`);
  // Sent: her message arrives and the indicator goes.
  const question = 'Jeg lurer på om jeg kan utsette fakturaen.';
  await box.fill(question);
  await eventually(async () => assert.equal(await textOf(agentSees), 'Kunden skriver…'));
  await box.press('Enter');
  await eventually(async () => assert.ok((await messages(agent).allTextContents()).includes(question)));
  assert.equal(await textOf(agentSees), '', 'her message is there: she is no longer typing');

  // The other way: the customer sees the agent's name.
  const input = agent.locator('#message-input');
  await input.fill('Ja, det kan du.');
  await eventually(async () => assert.equal(await textOf(customerSees), 'Kari Nordmann skriver…'));
  await shoot(tina, 'widget-typing.png');
  const reply = 'Ja, det kan du. Et øyeblikk, så ser jeg på det.';
  await input.fill(reply);
  await input.press('Enter');
  await eventually(async () => assert.ok((await widgetMessages(tina).allTextContents()).includes(reply)));
  await eventually(async () => assert.equal(await textOf(customerSees), ''), 2500);
  await input.fill('Et øyeblikk');
  await eventually(async () => assert.equal(await textOf(customerSees), 'Kari Nordmann skriver…'));
  await input.fill('');
  await eventually(async () => assert.equal(await textOf(customerSees), ''), 2500);
  assert.deepEqual(dialogs, []);
});

test('"/" at the start of the box lists the chat\'s canned responses; Enter inserts one, the customer\'s name filled in, to edit before sending', STEP, async () => {
  const agent = pages.kari;
  const box = agent.locator('#message-input');
  const menu = agent.locator('#canned-menu');
  const listed = () => menu.locator('.canned-shortcut').allTextContents();
  // Tina's chat is in Bedrift: Privat's response is not for it.
  await box.fill('/');
  await eventually(async () => assert.deepEqual(await listed(), ['/faktura_frist', '/hilsen']));
  assert.equal(await box.getAttribute('aria-controls'), 'canned-list');
  // Escape closes the list, not the panel; what was typed stays.
  await box.press('Escape');
  assert.equal(await menu.isVisible(), false);
  assert.equal(await agent.locator('#chat-panel').isVisible(), true);
  assert.equal(await box.inputValue(), '/');
  await box.fill('');
  // Filtered by shortcut and by title, as she types.
  await box.fill('/hil');
  await eventually(async () => assert.deepEqual(await listed(), ['/hilsen']));
  await box.fill('/forfall');
  await eventually(async () => assert.deepEqual(await listed(), ['/faktura_frist']));
  await box.fill('/ingenting');
  await eventually(async () => assert.equal(await textOf(menu.locator('.canned-state')), 'Ingen hurtigsvar passer.'));
  await box.press('Enter');
  assert.equal(await box.inputValue(), '/ingenting', 'nothing to insert, and nothing sent');
  await box.fill('/');
  await eventually(async () => assert.deepEqual(await listed(), ['/faktura_frist', '/hilsen']));
  const options = menu.getByRole('option');
  assert.equal(await options.first().getAttribute('aria-selected'), 'true');
  await box.press('ArrowDown');
  assert.equal(await options.nth(1).getAttribute('aria-selected'), 'true');
  assert.equal(await box.getAttribute('aria-activedescendant'), await options.nth(1).getAttribute('id'));
  await shoot(agent, 'console-canned.png');
  await box.press('Enter');
  const filled = 'Hei Tina Taster! Takk for at du venter. Jeg heter Kari Nordmann og hjelper deg med det.';
  assert.equal(await box.inputValue(), filled);
  assert.equal(await menu.isVisible(), false);
  // Hers to edit before it goes.
  await box.press('End');
  await box.pressSequentially(' Hva er kundenummeret ditt?');
  const sent = `${filled} Hva er kundenummeret ditt?`;
  await box.press('Enter');
  await eventually(async () => assert.ok((await messages(agent).allTextContents()).includes(sent)));
  await eventually(async () => assert.ok((await widgetMessages(tina).allTextContents()).includes(sent)));
  assert.equal((await widgetText(tina)).includes('{customer_name}'), false);

  // In an English console, the English text.
  await agent.locator('.topbar .language-select').selectOption('en');
  await box.fill('/hil');
  await eventually(async () => assert.deepEqual(await listed(), ['/hilsen']));
  await box.press('Enter');
  assert.equal(await box.inputValue(), 'Hi Tina Taster! Thanks for waiting. I am Kari Nordmann, and I will help you with that.');
  await box.fill('');
  await agent.locator('.topbar .language-select').selectOption('nb');
  assert.deepEqual(dialogs, []);
});

test('an internal note shows in the console, yellow and apart, never in the widget; the colleague it names is told and sees the next one live', STEP, async () => {
  const agent = pages.kari;
  const supervisor = pages.siri;
  const box = agent.locator('#message-input');
  const noteButton = agent.getByRole('button', { name: 'Notat', exact: true });
  await noteButton.click();
  assert.equal(await noteButton.getAttribute('aria-pressed'), 'true');
  assert.equal(await agent.locator('#composer').getAttribute('data-mode'), 'note');
  assert.equal(await textOf(agent.locator('#composer-send')), 'Lagre notat');
  assert.equal(await textOf(agent.locator('#composer-hint')), 'Notatet går ikke til kunden: bare kollegaer ser det.');
  assert.equal(await box.getAttribute('placeholder'), 'Internt notat, bare for kollegaer … (@brukernavn varsler en kollega)');

  // Writing a note tells the customer nothing, not even that someone is typing.
  const note = 'Tina vil utsette fakturaen til den 20. @siri kan du godkjenne det? <b>haster</b>';
  await box.fill(note);
  await sleep(1500);
  assert.equal(await textOf(tina.locator('.typing')), '', 'no "is typing" for a note');
  await box.press('Enter');
  const notes = agent.locator('#transcript .note');
  await eventually(async () => assert.equal(await notes.count(), 1));
  assert.equal(await textOf(notes.locator('.note-label')), 'Internt notat');
  assert.equal(await textOf(notes.locator('.note-author')), 'Du');
  assert.equal(await textOf(notes.locator('.note-text')), note);
  assert.equal(await textOf(notes.locator('.mention')), '@siri');
  assert.equal(await notes.locator('b').count(), 0, 'its text is text');
  assert.equal(await box.inputValue(), '');
  assert.equal(await agent.locator('#composer').getAttribute('data-mode'), 'note', 'still writing notes');
  assert.equal(await agent.locator('#transcript > li').last().getAttribute('class'), 'note', 'after the last message');

  // Siri, whom it names, is told wherever she is, and finds the chat under "Nevnt i notater".
  await eventually(async () => assert.equal(await textOf(supervisor.locator('#toast')),
    'Kari Nordmann nevnte deg i chatten med Tina Taster.'));
  assert.equal(await supervisor.locator('#mention-badge').isVisible(), true);
  if (!(await supervisor.locator('#chat-panel').isVisible())) await supervisor.locator('#panel-toggle').click();
  const mention = supervisor.locator('#mentioned-chats .mention-item', { hasText: 'Tina Taster' });
  await mention.waitFor();
  assert.match(await textOf(mention), /Nevnt av Kari Nordmann/);
  await mention.click();
  await eventually(async () => assert.equal(await textOf(supervisor.locator('#chat-title')), 'Tina Taster'));
  const seen = supervisor.locator('#transcript .note');
  await eventually(async () => assert.equal(await seen.count(), 1));
  assert.equal(await textOf(seen.locator('.note-author')), 'Kari Nordmann');
  assert.equal(await supervisor.locator('#mentions-section').isVisible(), false, 'opened: nothing waits for her');
  assert.equal(await supervisor.locator('#mention-badge').isVisible(), false);

  // Naming someone who cannot see the chat is refused under the box, in the console's words.
  await asAdmin('POST', '/users', {
    username: 'tom', display_name: 'Tom Utenfor', password: 'e2e-tom-password', role: 'agent',
  });
  const refused = 'Spør @tom om dette.';
  await box.fill(refused);
  await box.press('Enter');
  await eventually(async () => assert.equal(await textOf(agent.locator('#composer-error')),
    '@tom jobber ikke i køen til denne chatten og kan ikke se den.'));
  assert.equal(await box.inputValue(), refused, 'the note stays, to be fixed');
  const second = 'Avtalt med Tina: ny forfallsdato den 20.';
  await box.fill(second);
  assert.equal(await textOf(agent.locator('#composer-error')), '', 'typing answers the error');
  await box.press('Enter');
  await eventually(async () => assert.equal(await notes.count(), 2));
  // Siri has the chat open: the note appears there live.
  await eventually(async () => assert.equal(await seen.count(), 2));
  assert.equal(await textOf(seen.last().locator('.note-text')), second);
  await shoot(agent, 'console-note.png');

  // Back to the customer: the next line is a message, after the notes.
  await agent.getByRole('button', { name: 'Til kunden', exact: true }).click();
  assert.equal(await agent.locator('#composer').getAttribute('data-mode'), 'message');
  assert.equal(await textOf(agent.locator('#composer-send')), 'Send');
  const last = 'Da er forfallsdatoen flyttet til den 20.';
  await agentSays(agent, last);
  await eventually(async () => assert.ok((await widgetMessages(tina).allTextContents()).includes(last)));
  const order = await agent.locator('#transcript > li').evaluateAll((items) => items.map((li) => li.className));
  assert.deepEqual(order.slice(-3), ['note', 'note', 'message from-agent own']);

  // The widget never had a word of the notes: not on screen, not in its chat view.
  await sleep(500);
  const shown = await widgetText(tina);
  for (const text of [note, second, 'Internt notat', '@siri', '<b>haster</b>']) {
    assert.equal(shown.includes(text), false, `the widget shows no "${text}"`);
  }
  assert.ok(shown.includes(last));
  const view = await tina.evaluate(async () => {
    const { chat_id: chatId, customer_token: token } = JSON.parse(sessionStorage.getItem('samtale.widget.chat'));
    return (await fetch(`/api/v1/customer/chats/${chatId}`, { headers: { Authorization: `Bearer ${token}` } })).json();
  });
  assert.equal(view.notes ?? null, null);
  assert.equal(JSON.stringify(view).includes('forfallsdato den 20'), false);

  // Leave things as the story found them: the customer gone.
  await customerEnds(tina);
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Avsluttet'));
  assert.deepEqual(dialogs, []);
});

let vera;

test('the customer sees "Levert" under her last line until the agent has read it, then "Sett"; the agent sees she is here and asks for help', STEP, async () => {
  vera = await newPage('vera');
  await vera.goto(`${base}/widget`);
  await customerStarts(vera, { name: 'Vera Vennlig', topic: 'Faktura', email: 'vera@example.no' });
  await customerSays(vera, 'Hei, jeg har et spørsmål om purring.');
  const receipt = vera.locator('.transcript .receipt');
  await eventually(async () => assert.equal(await textOf(receipt), 'Levert'));
  const agent = pages.kari;
  await agentPicksUp(agent, 'Vera Vennlig');
  await eventually(async () => assert.equal(await textOf(receipt), 'Sett'));
  await agentSays(agent, 'Hei Vera! Jeg ser på det.');
  await customerSays(vera, 'Takk!');
  await eventually(async () => assert.equal(await receipt.count(), 1, 'only under her last line'));
  await eventually(async () => assert.equal(await textOf(receipt), 'Sett'));
  await shoot(vera, 'widget-seen.png');
  await eventually(async () => assert.equal(await textOf(agent.locator('#customer-presence')), 'Kunden er her nå'), 40_000);

  const hand = agent.getByRole('button', { name: 'Be om hjelp', exact: true });
  await hand.click();
  await eventually(async () => assert.equal(await hand.getAttribute('aria-pressed'), 'true'));
  const supervisor = pages.siri;
  await supervisor.getByRole('tab', { name: 'Køoversikt' }).click();
  const row = supervisor.locator('#ongoing .ongoing-item', { hasText: 'Vera Vennlig' });
  await eventually(async () => assert.match(await textOf(row), /Ber om hjelp/));
  assert.match(await textOf(supervisor.locator('#ongoing .ongoing-item').first()), /Vera Vennlig/, 'raised hands first');
  const hands = supervisor.locator('.queue-card [data-figure="handsRaised"] dd');
  await eventually(async () => assert.deepEqual((await hands.allTextContents()).filter((n) => n !== '0'), ['1']));

  // After a reload the panel is open again on the chat that was on screen, the hand still up.
  await agent.reload();
  await agent.locator('#console-view').waitFor();
  await eventually(async () => assert.equal(await agent.locator('#chat-panel').isVisible(), true));
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Vera Vennlig'));
  await eventually(async () => assert.equal(await hand.getAttribute('aria-pressed'), 'true'));
  assert.deepEqual(dialogs, []);
});

test('a supervisor monitors the chat, whispers to the agent, who sees it in purple; the widget never does', STEP, async () => {
  const agent = pages.kari;
  const supervisor = pages.siri;
  await supervisor.locator('#ongoing .ongoing-item', { hasText: 'Vera Vennlig' }).getByRole('button').click();
  await eventually(async () => assert.equal(await textOf(supervisor.locator('#chat-title')), 'Vera Vennlig'));
  assert.equal(await supervisor.locator('#compose-message').isVisible(), false, 'a monitor does not write to the customer');
  assert.equal(await supervisor.locator('#monitor-actions').isVisible(), true);
  await supervisor.locator('#whisper').click();
  const dialog = supervisor.locator('#confirm-dialog');
  await dialog.waitFor();
  const words = 'Tilby henne betalingsutsettelse på 14 dager.';
  await dialog.getByLabel('Det du vil si').fill(words);
  await dialog.locator('#confirm-ok').click();
  await eventually(async () => assert.equal(await dialog.isVisible(), false));

  const whisper = agent.locator('#transcript .note.whisper');
  await eventually(async () => assert.equal(await whisper.count(), 1));
  // Kari, an agent, cannot list users: the chat view names its authors.
  await eventually(async () => assert.equal(await textOf(whisper.locator('.note-label')), 'Hvisking fra Siri Berg'));
  assert.equal(await textOf(whisper.locator('.note-text')), words);
  await shoot(agent, 'console-whisper.png');

  // The agent lowers the hand: the supervisor's list no longer says it.
  await agent.getByRole('button', { name: 'Be om hjelp', exact: true }).click();
  await eventually(async () => assert.doesNotMatch(
    await textOf(supervisor.locator('#ongoing .ongoing-item', { hasText: 'Vera Vennlig' })), /Ber om hjelp/));

  await sleep(500);
  const shown = await widgetText(vera);
  assert.equal(shown.includes(words), false, 'the widget shows no whisper');
  assert.deepEqual(dialogs, []);
});

test('the agent invites a colleague, who is told, joins, writes under his own name and notes the chat; the agent hands it to him and it is his', STEP, async () => {
  const agent = pages.kari;
  const ola = pages.ola;
  await signIn(ola, 'ola');
  await ola.locator('#presence-toggle').click();
  await eventually(async () => assert.equal(await textOf(ola.locator('#presence-label')), 'Pålogget køene'));
  await agent.getByRole('button', { name: 'Inviter kollega', exact: true }).click();
  const dialog = agent.locator('#confirm-dialog');
  await dialog.waitFor();
  await dialog.getByLabel('Kollega', { exact: true }).selectOption({ label: 'Ola Hansen (0 chatter nå)' });
  await dialog.getByRole('button', { name: 'Inviter', exact: true }).click();
  await eventually(async () => assert.equal(await dialog.isVisible(), false));

  await eventually(async () => assert.equal(await textOf(ola.locator('#toast')), 'Du er invitert inn i chatten med Vera Vennlig.'));
  const invitation = ola.locator('#invited-chats .invitation', { hasText: 'Vera Vennlig' });
  await invitation.getByRole('button', { name: 'Ta imot' }).click();
  await eventually(async () => assert.equal(await textOf(ola.locator('#chat-title')), 'Vera Vennlig'));
  await eventually(async () => assert.equal(await chatItem(ola, 'Vera Vennlig').count(), 1));
  assert.equal(await ola.locator('#composer').isVisible(), true, 'in the conversation, he may write');
  await eventually(async () => assert.ok((await widgetMessages(vera).allTextContents())
    .includes('Ola Hansen ble med i samtalen')));
  await eventually(async () => assert.match(await textOf(agent.locator('#chat-participants')), /Ola Hansen/));

  // He writes to her: his line is his, by name, and Kari's stays hers; his note is for Kari.
  const his = 'Hei Vera, Ola her. Jeg kan purringer.';
  await agentSays(ola, his);
  await eventually(async () => assert.equal(await textOf(widgetAuthor(vera, his)), 'Ola Hansen'));
  assert.equal(await textOf(widgetAuthor(vera, 'Hei Vera! Jeg ser på det.')), 'Kari Nordmann');
  await eventually(async () => assert.equal(await textOf(lineAuthor(agent, his)), 'Ola Hansen'));
  await ola.getByRole('button', { name: 'Notat', exact: true }).click();
  const noted = 'Purringen er betalt; jeg tar resten.';
  await ola.locator('#message-input').fill(noted);
  await ola.locator('#message-input').press('Enter');
  await eventually(async () => assert.equal(
    await textOf(agent.locator('#transcript .note', { hasText: noted }).locator('.note-author')), 'Ola Hansen'));
  await ola.getByRole('button', { name: 'Til kunden', exact: true }).click();

  // Kari leaves the chat to him: handed over, it is his and gone from her list.
  await agent.getByRole('button', { name: 'Gi til kollega' }).click();
  const handing = agent.locator('#confirm-dialog');
  await handing.waitFor();
  const colleague = handing.getByLabel('Kollega', { exact: true });
  await colleague.selectOption(await colleague.locator('option', { hasText: 'Ola Hansen' }).getAttribute('value'));
  await handing.getByRole('button', { name: 'Gi chatten videre' }).click();
  await eventually(async () => assert.equal(await handing.isVisible(), false));
  await eventually(async () => assert.equal(await chatItem(agent, 'Vera Vennlig').count(), 0));
  await eventually(async () => assert.equal(await ola.locator('#chat-actions').isVisible(), true));
  assert.equal(await ola.locator('#participant-actions').isVisible(), false, 'no longer a guest in it');
  await eventually(async () => assert.equal(await textOf(vera.locator('.status')), 'Du chatter med Ola Hansen.'));
  assert.equal(await textOf(widgetAuthor(vera, 'Hei Vera! Jeg ser på det.')), 'Kari Nordmann', 'her line stays hers');
  await agentSays(ola, 'Da er det bare meg nå.');

  // Leave things as the story found them: the customer gone, Ola signed out.
  await customerEnds(vera);
  await eventually(async () => assert.equal(await textOf(ola.locator('#chat-status')), 'Avsluttet'));
  await eventually(async () => assert.equal(await ola.locator('#active-chats .chat-item').count(), 0));
  await ola.locator('#sign-out').click();
  await ola.locator('#login-view').waitFor();
  assert.deepEqual(dialogs, []);
});

// ---- a supervisor in the conversation; calling the agent and the customer back -------------

/** The customer of the supervisor's steps, and the agent's first line to him. */
let jonas;
const KARI_TO_JONAS = 'Hei Jonas! Jeg ser på begge.';

test('a supervisor monitoring a chat notes it for the agent, joins from the monitor, and the customer sees her name on her line', STEP, async () => {
  jonas = await newPage('jonas');
  await jonas.goto(`${base}/widget`);
  await customerStarts(jonas, { name: 'Jonas Jensen', topic: 'Faktura', email: 'jonas@example.no' });
  await customerSays(jonas, 'Jeg har fått to fakturaer for samme måned.');
  const agent = pages.kari;
  await agentPicksUp(agent, 'Jonas Jensen');
  await agentSays(agent, KARI_TO_JONAS);

  const supervisor = pages.siri;
  await supervisor.getByRole('tab', { name: 'Køoversikt' }).click();
  await supervisor.locator('#ongoing .ongoing-item', { hasText: 'Jonas Jensen' }).getByRole('button').click();
  await eventually(async () => assert.equal(await textOf(supervisor.locator('#chat-title')), 'Jonas Jensen'));
  // Monitoring, she may note the chat for Kari, and not write to the customer.
  assert.equal(await supervisor.locator('#monitor-actions').isVisible(), true);
  assert.equal(await supervisor.locator('#compose-message').isVisible(), false);
  assert.equal(await supervisor.locator('#composer').getAttribute('data-mode'), 'note');
  const note = 'Den andre fakturaen er vår feil: krediter den.';
  await supervisor.locator('#message-input').fill(note);
  await shoot(supervisor, 'console-monitor-note.png');
  await supervisor.locator('#message-input').press('Enter');
  await eventually(async () => assert.equal(await textOf(supervisor.locator('#transcript .note .note-text')), note));
  assert.equal(await textOf(supervisor.locator('#transcript .note .note-author')), 'Du');
  // Kari, who cannot list users, learns her name from the chat view.
  await eventually(async () => assert.equal(
    await textOf(agent.locator('#transcript .note', { hasText: note }).locator('.note-author')), 'Siri Berg'));

  // She joins: now she writes to him, and her line is hers, by name, beside Kari's.
  await supervisor.locator('#join-chat').click();
  await eventually(async () => assert.equal(await supervisor.locator('#compose-message').isVisible(), true));
  assert.equal(await supervisor.locator('#composer').getAttribute('data-mode'), 'message');
  assert.equal(await supervisor.locator('#monitor-actions').isVisible(), false);
  await eventually(async () => assert.ok((await widgetMessages(jonas).allTextContents()).includes('Siri Berg ble med i samtalen')));
  const hers = 'Hei Jonas, Siri her, teamleder. Den ene fakturaen krediteres.';
  await agentSays(supervisor, hers);
  await eventually(async () => assert.equal(await textOf(widgetAuthor(jonas, hers)), 'Siri Berg'));
  assert.equal(await textOf(widgetAuthor(jonas, KARI_TO_JONAS)), 'Kari Nordmann', 'not the agent\'s name on her line');
  await eventually(async () => assert.equal(await textOf(lineAuthor(agent, hers)), 'Siri Berg'));
  assert.equal((await widgetText(jonas)).includes(note), false, 'the widget shows no note');
  await shoot(jonas, 'widget-colleague.png');
  assert.deepEqual(dialogs, []);
});

test('a supervisor takes a chat over: it is hers and gone from the agent\'s list; the customer is told, and the earlier lines keep their names', STEP, async () => {
  const agent = pages.kari;
  const supervisor = pages.siri;
  // Out of the conversation she monitors it again, and takes it over from there.
  await supervisor.locator('#leave-chat').click();
  await eventually(async () => assert.equal(await supervisor.locator('#monitor-actions').isVisible(), true));
  await supervisor.locator('#take-over').click();
  const confirm = supervisor.locator('#confirm-dialog');
  await confirm.waitFor();
  assert.equal(await textOf(confirm.locator('#confirm-title')), 'Ta over chatten med Jonas Jensen?');
  await confirm.locator('#confirm-ok').click();
  await eventually(async () => assert.equal(await confirm.isVisible(), false));
  await eventually(async () => assert.equal(await supervisor.locator('#chat-actions').isVisible(), true));
  assert.equal(await supervisor.locator('#monitor-actions').isVisible(), false);
  await eventually(async () => assert.equal(await chatItem(agent, 'Jonas Jensen').count(), 0));
  await eventually(async () => assert.equal(await textOf(jonas.locator('.status')), 'Du chatter med Siri Berg.'));
  assert.equal(await textOf(widgetAuthor(jonas, KARI_TO_JONAS)), 'Kari Nordmann', 'her line stays hers');
  const last = 'Kreditnotaen er sendt. Ha en fin dag!';
  await agentSays(supervisor, last);
  await eventually(async () => assert.equal(await textOf(widgetAuthor(jonas, last)), 'Siri Berg'));
  await agentEnds(supervisor);
  await eventually(async () => assert.equal(await textOf(jonas.locator('.status')), 'Chatten er avsluttet. Takk for praten!'));
  assert.deepEqual(dialogs, []);
});

/**
 * Records what a page does to call its user back, before its scripts run: every desktop
 * notification (the browser's own Notification, made as usual, and kept here to be clicked)
 * and every note of a tone.
 */
async function recordAlerts(page) {
  await page.addInitScript(() => {
    window.e2eAlerts = { notices: [], tones: 0 };
    const Real = window.Notification;
    if (Real) {
      window.Notification = class extends Real {
        constructor(title, options = {}) {
          super(title, options);
          window.e2eAlerts.notices.push({ title, body: options.body, tag: options.tag, notice: this });
        }
      };
    }
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function recorded(...args) {
      window.e2eAlerts.tones += 1;
      return start.apply(this, args);
    };
  });
}

/** What `recordAlerts` has seen so far. */
const alertsOf = (page) => page.evaluate(() => ({
  notices: window.e2eAlerts.notices.map(({ title, body, tag }) => ({ title, body, tag })),
  tones: window.e2eAlerts.tones,
}));

/** The chat id a widget page has open. */
const widgetChat = async (page) => (await page.evaluate(() => JSON.parse(sessionStorage.getItem('samtale.widget.chat')))).chat_id;

test('the console calls the agent: a new chat, and a message in a chat not on screen, sound a tone, raise a desktop notification that opens the chat, and count in the tab title; switched off, they stop', STEP, async () => {
  const agent = pages.kari;
  await context.grantPermissions(['notifications'], { origin: base });
  await recordAlerts(agent);
  await agent.reload();
  await agent.locator('#console-view').waitFor();
  await eventually(async () => assert.equal(await agent.locator('#live-status').getAttribute('data-status'), 'live'));
  assert.equal(await agent.evaluate(() => Notification.permission), 'granted');
  assert.equal(await agent.title(), 'Samtale');
  // Her first click readies the tone; logged out of the queues, she picks chats by hand.
  await agent.getByRole('tab', { name: 'Køoversikt' }).click();
  assert.equal((await presenceOf(agent)).state, 'offline');

  const anna = await newPage('anna');
  await anna.goto(`${base}/widget`);
  await customerStarts(anna, { name: 'Anna Alarm', topic: 'Faktura', email: 'anna@example.no' });
  const annaChat = await widgetChat(anna);
  await eventually(async () => assert.equal(await agent.title(), '(1) Samtale'));
  await eventually(async () => assert.deepEqual((await alertsOf(agent)).notices.at(-1),
    { title: 'Ny chat venter', body: 'Anna Alarm', tag: annaChat }));
  assert.ok((await alertsOf(agent)).tones > 0, 'a tone');
  await agentPicksUp(agent, 'Anna Alarm');
  await eventually(async () => assert.equal(await agent.title(), 'Samtale'));

  const bo = await newPage('bo');
  await recordAlerts(bo);
  await bo.goto(`${base}/widget`);
  await customerStarts(bo, { name: 'Bo Bakgrunn', topic: 'Faktura', email: 'bo@example.no' });
  await agentPicksUp(agent, 'Bo Bakgrunn');
  await eventually(async () => assert.equal(await agent.title(), 'Samtale'));

  // Anna writes while Bo's chat is on screen: counted, notified, and a tone.
  let before = await alertsOf(agent);
  await customerSays(anna, 'Er du der fortsatt?');
  await eventually(async () => assert.equal(await agent.title(), '(1) Samtale'));
  await eventually(async () => assert.deepEqual((await alertsOf(agent)).notices.at(-1),
    { title: 'Melding fra Anna Alarm', body: 'Er du der fortsatt?', tag: annaChat }));
  assert.ok((await alertsOf(agent)).tones > before.tones, 'a tone');
  // A click on the notification opens her chat.
  await agent.evaluate(() => window.e2eAlerts.notices.at(-1).notice.dispatchEvent(new Event('click')));
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Anna Alarm'));
  await eventually(async () => assert.equal(await agent.title(), 'Samtale'));

  // Her switches, in the top bar: desktop notifications and the title's count off.
  await agent.locator('#alerts-toggle').click();
  const menu = agent.locator('#alerts-menu');
  await menu.waitFor();
  assert.equal(await menu.getByLabel('Lyd').isChecked(), true);
  await shoot(agent, 'console-alerts.png');
  await menu.getByLabel('Skrivebordsvarsel').uncheck();
  await menu.getByLabel('Antall i fanetittelen').uncheck();
  before = await alertsOf(agent);
  await customerSays(bo, 'Hei, har du sett på min?');
  const boBadge = chatItem(agent, 'Bo Bakgrunn').locator('.unread-badge');
  await eventually(async () => assert.equal(await textOf(boBadge), '1'));
  let now = await alertsOf(agent);
  assert.equal(now.notices.length, before.notices.length, 'no desktop notification');
  assert.ok(now.tones > before.tones, 'still a tone');
  assert.equal(await agent.title(), 'Samtale');
  // The sound off too: nothing at all.
  await menu.getByLabel('Lyd').uncheck();
  before = now;
  await customerSays(bo, 'Hallo?');
  await eventually(async () => assert.equal(await textOf(boBadge), '2'));
  now = await alertsOf(agent);
  assert.deepEqual([now.notices.length, now.tones], [before.notices.length, before.tones]);
  assert.equal(await agent.title(), 'Samtale');

  // Kept for her in this browser: after a reload the switches are as she left them.
  await agent.reload();
  await agent.locator('#console-view').waitFor();
  await agent.locator('#alerts-toggle').click();
  for (const label of ['Lyd', 'Skrivebordsvarsel', 'Antall i fanetittelen']) {
    assert.equal(await menu.getByLabel(label).isChecked(), false, label);
    await menu.getByLabel(label).check();
  }
  await eventually(async () => assert.equal(await agent.title(), '(2) Samtale'));
  await agent.keyboard.press('Escape');
  assert.equal(await menu.isVisible(), false);
  await customerEnds(anna);
  assert.deepEqual(dialogs, []);
});

test('the widget in the background: the agent\'s answer sounds a tone and flashes the title until the customer looks again', STEP, async () => {
  const customer = pages.bo;
  const agent = pages.kari;
  if (!(await agent.locator('#chat-panel').isVisible())) await agent.locator('#panel-toggle').click();
  await chatItem(agent, 'Bo Bakgrunn').click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Bo Bakgrunn'));
  await eventually(async () => assert.equal(await agent.title(), 'Samtale'));
  const title = await customer.title();
  /** The customer's tab goes to the background, or comes back, as the browser would say. */
  const inBackground = (hidden) => customer.evaluate((away) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => away });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (away ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);

  await inBackground(true);
  const before = await alertsOf(customer);
  const answer = 'Ja, jeg har sett på den: alt er i orden.';
  await agentSays(agent, answer);
  await eventually(async () => assert.equal(await customer.title(), 'Ny melding'));
  assert.ok((await alertsOf(customer)).tones > before.tones, 'a tone');
  await eventually(async () => assert.equal(await customer.title(), title), 'it flashes');
  await eventually(async () => assert.equal(await customer.title(), 'Ny melding'), 'and again');

  await inBackground(false);
  assert.equal(await customer.title(), title);
  // Seen: it flashes no more, and a line while she looks sounds nothing.
  const seen = await alertsOf(customer);
  const next = 'Noe mer jeg kan hjelpe deg med?';
  await agentSays(agent, next);
  await eventually(async () => assert.ok((await widgetMessages(customer).allTextContents()).includes(next)));
  for (let i = 0; i < 15; i += 1) {
    assert.equal(await customer.title(), title, 'restored for good');
    await sleep(100);
  }
  assert.equal((await alertsOf(customer)).tones, seen.tones);
  await customerEnds(customer);
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Avsluttet'));
  assert.deepEqual(dialogs, []);
});

// ---- issue 21: the console and the widget as people use them all day ----------------------

const AXE = readFileSync(join(ROOT, 'tests/e2e/node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * axe-core on the page as it is now: no serious or critical violation; the others are counted
 * and printed. Evaluated through the debugging protocol, which the console's CSP lets through.
 */
async function accessible(page, what) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] }))
    .violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })));
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const others = violations.filter((v) => !grave.includes(v));
  console.log(`axe ${what}: ${grave.length} serious or critical, ${others.length} other${others.length === 1 ? '' : 's'}${others.length ? ` (${others.map((v) => `${v.id}: ${v.impact}`).join(', ')})` : ''}`);
  assert.deepEqual(grave, [], `${what}: ${JSON.stringify(grave)}`);
}

/** No horizontal scrolling, and each of `selectors` wholly inside the viewport. */
async function fits(page, selectors, size) {
  const seen = await page.evaluate((wanted) => ({
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth,
    outside: wanted.filter((selector) => {
      const box = document.querySelector(selector)?.getBoundingClientRect();
      return !box || box.width === 0 || box.left < 0 || box.top < 0 || box.right > innerWidth || box.bottom > innerHeight;
    }),
  }), selectors);
  assert.ok(seen.scrollWidth <= seen.innerWidth, `${size}: ${seen.scrollWidth} px wide in ${seen.innerWidth}`);
  assert.deepEqual(seen.outside, [], `${size}: outside the screen`);
}

/** A chat started straight through the API, as a customer's widget would. */
async function startChatByApi(name, category = 'Mobil') {
  const config = await (await fetch(`${base}/api/v1/widget/config`)).json();
  const response = await fetch(`${base}/api/v1/customer/chats`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name, category_id: config.categories.find((c) => c.name === category).category_id, fields: { email: 'kunde@example.no' },
    }),
  });
  assert.equal(response.status, 201);
  return response.json();
}

/** The focused element, inside the widget's shadow root where it has one. */
const focusedInWidget = (page) => page.evaluate(() => {
  const host = document.querySelector('.page-host, .samtale-widget-host');
  const el = host?.shadowRoot?.activeElement ?? document.activeElement;
  return el ? `${el.tagName.toLowerCase()}${el.className ? `.${el.className}` : ''}` : null;
});

test('the console fits 1280 and 1440 px with chats waiting and the panel open, overlays it at 1024, and a reload keeps the panel and the chat', STEP, async () => {
  const agent = pages.kari;
  await startChatByApi('Wenche Venter');
  await startChatByApi('Willy Venter', 'Bredbånd');
  await agent.getByRole('tab', { name: 'Innkommende chatter' }).click();
  await agent.getByRole('button', { name: 'Ta chatten fra Wenche Venter' }).click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Wenche Venter'));
  assert.equal(await agent.locator('#chat-panel').isVisible(), true);
  const controls = ['#close-panel', '#sign-out', '#presence-toggle', '#transfer-target', '#end-chat', '#composer-send', '#message-input'];
  for (const [width, height] of [[1280, 800], [1440, 900]]) {
    await agent.setViewportSize({ width, height });
    await fits(agent, [...controls, '#customer-info'], `${width}×${height}`);
    // The transfer target shows its whole label, and every tab is in sight.
    assert.ok(await agent.locator('#transfer-target').evaluate((el) => el.getBoundingClientRect().width >= 200), 'the transfer target is wide enough');
    assert.ok(await agent.locator('.tabs').evaluate((el) => el.scrollWidth <= el.clientWidth), `${width}: the tabs fit`);
  }
  await agent.setViewportSize({ width: 1280, height: 800 });
  await shoot(agent, 'console-1280.png');
  // A tablet: the panel lies over the page, its controls all on the screen.
  await agent.setViewportSize({ width: 1024, height: 768 });
  await fits(agent, controls, '1024×768');
  assert.equal(await agent.locator('#chat-panel').evaluate((el) => getComputedStyle(el).position), 'fixed');

  await agent.setViewportSize({ width: 1440, height: 900 });
  await agent.reload();
  await agent.locator('#console-view').waitFor();
  await eventually(async () => assert.equal(await agent.locator('#chat-panel').isVisible(), true));
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Wenche Venter'));
  await eventually(async () => assert.equal(await agent.locator('#live-status').getAttribute('data-status'), 'live'));
});

test('axe-core finds nothing serious on login, the console with a chat open, the queue overview, administration and the audit dialog', STEP, async () => {
  const login = await newPage('axe-login');
  await login.goto(`${base}/agent`);
  await login.locator('#username').waitFor();
  await accessible(login, 'login');
  await signIn(login, 'kari');
  assert.equal(await login.evaluate(() => document.activeElement?.id), 'tab-incoming', 'after signing in, focus is on the tabs');
  // The tabs follow the arrow keys (the ARIA tabs pattern).
  await login.keyboard.press('ArrowRight');
  assert.equal(await login.getAttribute('#tab-messages', 'aria-selected'), 'true');
  assert.equal(await login.evaluate(() => document.activeElement?.id), 'tab-messages');
  await login.keyboard.press('End');
  assert.equal(await login.getAttribute('#tab-queues', 'aria-selected'), 'true');
  await login.keyboard.press('Home');
  assert.equal(await login.getAttribute('#tab-incoming', 'aria-selected'), 'true');
  await login.close();

  await accessible(pages.kari, 'console with a chat open');
  await pages.kari.getByRole('tab', { name: 'Køoversikt' }).click();
  await accessible(pages.kari, 'queue overview');
  await pages.kari.getByRole('tab', { name: 'Innkommende chatter' }).click();
  await pages.admin.getByRole('tab', { name: 'Administrasjon' }).click();
  await pages.admin.getByRole('region', { name: 'Kategorier' }).waitFor();
  await accessible(pages.admin, 'administration');

  const supervisor = pages.siri;
  await supervisor.getByRole('tab', { name: 'Historikk' }).click();
  // Any chat in the history will do: the dialog is the same.
  await supervisor.locator('#history').getByRole('button', { name: /^Revisjon og avspilling av chatten med/ }).first().click();
  const dialog = supervisor.locator('#audit-dialog');
  await dialog.waitFor();
  await eventually(async () => assert.ok(await dialog.locator('#audit-trail tbody tr').count() > 0));
  await accessible(supervisor, 'audit dialog');
  // The transcript scrolls, so the keyboard reaches it.
  assert.equal(await dialog.locator('#replay-transcript').getAttribute('tabindex'), '0');
  await supervisor.keyboard.press('Escape');
});

test('a new incoming chat is said to screen readers', STEP, async () => {
  const agent = pages.kari;
  await startChatByApi('Anne Annonsert');
  await eventually(async () => assert.match(await textOf(agent.locator('#announcer')), /Anne Annonsert/));
  assert.equal(await agent.locator('#announcer').getAttribute('aria-live'), 'polite');
});

test('on a phone the widget fills the screen, with 16 px inputs; links and times in the lines; focus stays in the box after Send', STEP, async () => {
  const customer = await newPage('fia');
  await customer.setViewportSize({ width: 390, height: 844 });
  await customer.goto(`${base}/widget`);
  await customer.locator('#samtale-field-name').waitFor();
  const panel = await customer.locator('.panel').evaluate((el) => {
    const box = el.getBoundingClientRect();
    return [box.left, box.top, box.width, box.height];
  });
  assert.deepEqual(panel, [0, 0, 390, 844], 'the panel is the whole screen');
  for (const field of ['#samtale-field-name', '#samtale-field-category_id', '#samtale-field-email']) {
    assert.equal(await customer.locator(field).evaluate((el) => getComputedStyle(el).fontSize), '16px', `${field} is 16 px`);
  }
  // The widget's parts are in its shadow root: the panel's box above says they are on screen.
  await fits(customer, [], '390×844');
  assert.equal(await customer.locator('h1').count(), 1, 'the widget page has its heading');
  assert.equal(await customer.locator('.head button.close').isVisible(), false, 'no × to end a chat that does not exist');
  await accessible(customer, 'widget form');
  await shoot(customer, 'widget-phone-form.png');

  await customerStarts(customer, { name: 'Fia Fon', topic: 'Mobil', email: 'fia@example.no' });
  assert.equal(await customer.locator('.composer textarea').evaluate((el) => getComputedStyle(el).fontSize), '16px');
  // Sent with the button, as a thumb does: the box keeps the focus, so the keyboard stays up.
  await customer.fill('.composer textarea', 'Hei, jeg skriver fra mobilen.');
  await customer.locator('.composer button[type=submit]').click();
  await eventually(async () => assert.ok((await widgetMessages(customer).allTextContents()).includes('Hei, jeg skriver fra mobilen.')));
  assert.equal(await focusedInWidget(customer), 'textarea');
  assert.equal(await customer.locator('.composer textarea').inputValue(), '');

  const agent = pages.kari;
  await agent.getByRole('button', { name: 'Ta chatten fra Fia Fon' }).click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Fia Fon'));
  await agentSays(agent, 'Se dekningskartet på https://example.no/dekning?sted=Bodø. Ikke javascript:alert(1) her.');
  const link = customer.locator('.transcript a');
  await eventually(async () => assert.equal(await link.count(), 1));
  assert.equal(await link.getAttribute('href'), 'https://example.no/dekning?sted=Bod%C3%B8');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await textOf(link), 'https://example.no/dekning?sted=Bodø');
  assert.ok((await textOf(customer.locator('.transcript li', { hasText: 'dekningskartet' }))).includes('javascript:alert(1) her.'));
  // Each line has its time.
  const times = await customer.locator('.transcript time').evaluateAll((els) => els.map((el) => [el.getAttribute('datetime'), el.textContent]));
  assert.ok(times.length >= 2 && times.every(([at, shown]) => at && /^\d{2}[:.]\d{2}$/.test(shown)), JSON.stringify(times));
  await accessible(customer, 'widget chat');
  await shoot(customer, 'widget-phone.png');
});

test('× in a running chat asks first and keeps the transcript until the customer confirms; backing out leaves the chat as it was', STEP, async () => {
  const customer = pages.fia;
  const agent = pages.kari;
  const close = customer.locator('.head button.close');
  assert.equal(await close.getAttribute('aria-label'), 'Avslutt chatten');
  await close.click();
  const asking = customer.getByRole('group', { name: 'Avslutte chatten?' });
  await asking.waitFor();
  assert.equal(await focusedInWidget(customer), 'button.secondary', 'the safe choice has the focus');
  assert.ok((await widgetMessages(customer).allTextContents()).includes('Hei, jeg skriver fra mobilen.'), 'the transcript stays');
  await asking.getByRole('button', { name: 'Fortsett chatten' }).click();
  assert.equal(await asking.isVisible(), false);
  assert.equal(await focusedInWidget(customer), 'textarea');
  assert.equal(await textOf(agent.locator('#chat-status')), 'Pågår');

  await customerEnds(customer);
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Avsluttet'));
  await customer.locator('#samtale-field-name').waitFor();
  // Done with: the browser has only so many connections to the server for all the pages.
  await customer.close();
});

/**
 * A TCP proxy between the browser and the server, which the test can cut: every connection
 * through it is destroyed and new ones are dropped at once, until it is let through again.
 */
async function cuttableProxy(target) {
  const sockets = new Set();
  let cut = false;
  const proxy = createNetServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connectTcp(target, '127.0.0.1');
    for (const [from, to] of [[client, upstream], [upstream, client]]) {
      sockets.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
      from.pipe(to);
    }
  });
  await new Promise((resolveListen) => proxy.listen(0, '127.0.0.1', resolveListen));
  return {
    port: proxy.address().port,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    resume() { cut = false; },
    close() {
      this.cut();
      proxy.close();
    },
  };
}

test('a line sent while the connection is down shows failed, with "Reconnecting"; it goes out by itself, once, when the connection is back', { timeout: 120_000 }, async () => {
  const proxy = await cuttableProxy(port);
  try {
    const customer = await newPage('gro');
    await customer.goto(`http://127.0.0.1:${proxy.port}/widget`);
    await customerStarts(customer, { name: 'Gro Glipp', topic: 'Mobil', email: 'gro@example.no' });
    const agent = pages.kari;
    await agent.getByRole('button', { name: 'Ta chatten fra Gro Glipp' }).click();
    await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Gro Glipp'));
    await eventually(async () => assert.match(await textOf(customer.locator('.status')), /Kari Nordmann/));
    assert.equal(await customer.locator('.connection').isVisible(), false);

    proxy.cut();
    await eventually(async () => assert.equal(await textOf(customer.locator('.connection')), 'Forbindelsen er brutt. Kobler til igjen …'));
    const text = 'Skrevet mens nettet var borte.';
    await customer.fill('.composer textarea', text);
    await customer.press('.composer textarea', 'Enter');
    // At once on the screen, marked as not sent.
    const own = customer.locator('.transcript li', { hasText: text });
    await eventually(async () => assert.equal(await own.getAttribute('data-state'), 'failed'));
    assert.match(await textOf(own.locator('.receipt')), /Ikke sendt\. Sendes når forbindelsen er tilbake\./);
    await shoot(customer, 'widget-offline.png');
    assert.equal((await messages(agent).allTextContents()).includes(text), false);

    proxy.resume();
    await eventually(async () => assert.equal(await customer.locator('.connection').isVisible(), false), 30_000);
    await eventually(async () => assert.equal(await own.getAttribute('data-state'), 'sent'), 30_000);
    await eventually(async () => assert.ok((await messages(agent).allTextContents()).includes(text)));
    assert.equal((await messages(agent).allTextContents()).filter((line) => line === text).length, 1, 'the agent has it once');
    assert.equal((await widgetMessages(customer).allTextContents()).filter((line) => line === text).length, 1, 'so has the customer');
    await customerEnds(customer);
    await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Avsluttet'));
    await customer.close();
  } finally {
    proxy.close();
  }
});

test('minimised on the company\'s site, the launcher counts the agent\'s answers and shows the last; × on the form only closes', STEP, async () => {
  const customer = await newPage('hege');
  await customer.goto(`http://127.0.0.1:${site.address().port}/`);
  await customer.getByRole('button', { name: 'Chat med oss' }).click();
  assert.equal(await customer.locator('.head button.close').getAttribute('aria-label'), 'Lukk');
  await customer.locator('.head button.close').click();
  assert.equal(await customer.locator('.panel').isVisible(), false);
  await customer.getByRole('button', { name: 'Chat med oss' }).click();
  await customerStarts(customer, { name: 'Hege Hjemme', topic: 'Mobil', email: 'hege@example.no' });
  const agent = pages.kari;
  await agent.getByRole('button', { name: 'Ta chatten fra Hege Hjemme' }).click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Hege Hjemme'));
  await customer.getByRole('button', { name: 'Minimer chatten' }).click();
  assert.equal(await customer.locator('.launcher-badge').isVisible(), false);
  await agentSays(agent, 'Hei Hege, jeg ser på saken din nå.');
  await eventually(async () => assert.equal(await textOf(customer.locator('.launcher-badge')), '1'));
  assert.equal(await textOf(customer.locator('.preview .preview-text')), 'Hei Hege, jeg ser på saken din nå.');
  assert.equal(await textOf(customer.locator('.preview .preview-name')), 'Kari Nordmann');
  await shoot(customer, 'widget-launcher-unread.png');
  await customer.locator('.preview').click();
  assert.equal(await customer.locator('.panel').isVisible(), true);
  assert.equal(await customer.locator('.launcher-badge').isVisible(), false);
  assert.equal(await customer.locator('.preview').isVisible(), false);
  await customerEnds(customer);
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-status')), 'Avsluttet'));
  await customer.close();
});

test('on a site not among the allowed origins the widget says so, padded and in words, with a way to close', STEP, async () => {
  const stranger = createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Fremmed</title></head>
<body><h1>Fremmed side</h1><script src="${base}/widget.js" async></script></body></html>`);
  });
  await new Promise((resolveListen) => stranger.listen(0, '127.0.0.1', resolveListen));
  try {
    const visitor = await newPage('fremmed');
    await visitor.goto(`http://localhost:${stranger.address().port}/`);
    await visitor.getByRole('button', { name: 'Chat med oss' }).click();
    const trouble = visitor.locator('.trouble');
    await eventually(async () => assert.equal(await trouble.getAttribute('data-trouble'), 'refused'));
    assert.equal(await textOf(trouble.locator('.trouble-title')), 'Chatten er ikke tilgjengelig her');
    assert.ok(await trouble.evaluate((el) => parseFloat(getComputedStyle(el).paddingLeft) >= 12), 'padded');
    await trouble.getByRole('button', { name: 'Lukk' }).click();
    assert.equal(await visitor.locator('.panel').isVisible(), false);
    await visitor.close();
    // Its failed requests are the browser's refusals, not the page's errors.
    dialogs.splice(0, dialogs.length, ...dialogs.filter((d) => !d.startsWith('fremmed')));
  } finally {
    stranger.close();
  }
  assert.deepEqual(dialogs, []);
});

test('files: the customer pastes a screenshot, the agent sees its preview and sends a PDF back, which the customer downloads; an SVG is refused in words', STEP, async () => {
  const customer = await newPage('filippa');
  await customer.goto(`${base}/widget`);
  await customer.locator('#samtale-field-name').waitFor();
  await customerStarts(customer, { name: 'Filippa Fil', topic: 'Mobil', email: 'filippa@example.no' });
  const agent = pages.kari;
  await agent.getByRole('tab', { name: 'Innkommende chatter' }).click();
  await agent.getByRole('button', { name: 'Ta chatten fra Filippa Fil' }).click();
  await eventually(async () => assert.equal(await textOf(agent.locator('#chat-title')), 'Filippa Fil'));

  // A screenshot pasted into the box: a real PNG, drawn on a canvas.
  await customer.locator('.composer textarea').evaluate(async (box) => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 400;
    const pen = canvas.getContext('2d');
    pen.fillStyle = '#c33';
    pen.fillRect(0, 0, 640, 400);
    const blob = await new Promise((done) => { canvas.toBlob(done, 'image/png'); });
    const data = new DataTransfer();
    data.items.add(new File([blob], 'skjermbilde.png', { type: 'image/png' }));
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await eventually(async () => assert.ok((await customer.locator('.transcript .file-name').allTextContents()).includes('skjermbilde.png')));
  // The agent sees it live, with the thumbnail the server drew (320 px on its longer side).
  const card = agent.locator('#transcript .file-card', { hasText: 'skjermbilde.png' });
  await card.waitFor();
  await eventually(async () => assert.equal(await card.locator('img.file-thumbnail').evaluate((img) => img.complete && img.naturalWidth), 320));

  // And sends a PDF back with the attach button.
  const pdf = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  const [chooser] = await Promise.all([agent.waitForEvent('filechooser'), agent.locator('#composer-attach').click()]);
  await chooser.setFiles({ name: 'faktura.pdf', mimeType: 'application/pdf', buffer: pdf });
  await agent.locator('#transcript .file-card', { hasText: 'faktura.pdf' }).waitFor();
  const pdfCard = customer.locator('.transcript .file', { hasText: 'faktura.pdf' });
  await pdfCard.waitFor();
  const [download] = await Promise.all([
    customer.waitForEvent('download'),
    pdfCard.getByRole('button', { name: 'Last ned faktura.pdf' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'faktura.pdf');
  assert.deepEqual(readFileSync(await download.path()), pdf, 'the customer gets the very bytes');
  await shoot(customer, 'widget-files.png');
  await shoot(agent, 'console-files.png');

  // What a browser could run is refused, and the customer is told why in her language.
  await customer.locator('.composer input[type=file]').setInputFiles({
    name: 'bilde.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
  });
  await eventually(async () => assert.match(await textOf(customer.locator('.receipt.failed')), /Denne filtypen kan ikke sendes/));
  await customerEnds(customer);
  await customer.close();
});
