// The Samtale customer chat widget. A company puts one tag on its site:
//   <script src="https://samtale.example/widget.js" async></script>
// and gets a chat button and panel. The API is the origin this script was loaded from. The
// widget lives in a shadow root, so the site's CSS and the widget's do not touch each other.
// With data-mode="page" (the /widget page) it fills its page instead, without the button.
// Every text from the network is set with textContent: never parsed as markup.

(() => {
  const script = document.currentScript;
  const origin = new URL(script.src).origin;
  const API = `${origin}/api/v1`;
  const pageMode = script.dataset.mode === 'page';
  const STORAGE_KEY = 'samtale.widget.chat';
  // A site that knows its logged-in customer vouches for them: its server signs their id and
  // e-mail address (data-user-signature, HMAC-SHA256 under the installation's identity
  // secret of the id, or of the id, a line feed and the address), so the agent
  // sees their earlier chats. Never computed here: the secret stays on the site's server.
  const { userId, userEmail, userSignature } = script.dataset;
  const identity = userId && userSignature
    ? { user_id: userId, email: userEmail || undefined, signature: userSignature }
    : undefined;

  const STRINGS = {
    nb: {
      open: 'Chat med oss',
      title: 'Chat med oss',
      subtitle: 'Vi svarer så fort vi kan.',
      minimize: 'Minimer chatten',
      close: 'Lukk',
      name: 'Navn',
      topic: 'Hva gjelder det?',
      choose: 'Velg …',
      start: 'Start chat',
      starting: 'Starter …',
      fixErrors: 'Se over feltene som er merket.',
      queue: 'Du er nummer {n} i køen.',
      queueNext: 'Du er den neste i køen.',
      estimate: 'Anslått ventetid: {time}.',
      minutes: 'ca. {n} min',
      underMinute: 'under ett minutt',
      waiting: 'Venter på en ledig rådgiver …',
      connected: 'Du chatter med {name}.',
      ended: 'Chatten er avsluttet. Takk for praten!',
      newChat: 'Start en ny chat',
      message: 'Melding',
      placeholder: 'Skriv en melding …',
      send: 'Send',
      you: 'Du',
      agent: 'Rådgiver',
      system: 'Samtale',
      notice_no_agents_available: 'Ingen rådgivere er pålogget akkurat nå. Vi svarer så snart noen er ledige.',
      failed: 'Noe gikk galt. Prøv igjen.',
      required: '(påkrevd)',
      problem_required: 'Må fylles ut.',
      problem_email: 'Skriv en gyldig e-postadresse.',
      problem_phone: 'Skriv et gyldig telefonnummer.',
      deleteChat: 'Slett denne samtalen',
      deleteTitle: 'Slette samtalen for godt?',
      deleteText: 'Meldingene og det du fylte ut slettes, både her og hos oss. Dette kan ikke angres.',
      deleteConfirm: 'Slett samtalen',
      cancel: 'Avbryt',
      deleting: 'Sletter …',
      deleted: 'Samtalen er slettet. Verken du eller vi kan se den igjen.',
      deleteFailed: 'Samtalen kunne ikke slettes. Prøv igjen.',
      erased: '(slettet)',
      rateTitle: 'Hvor fornøyd er du med hjelpen du fikk?',
      rateScore: '{n} av 5',
      rateLow: 'Lite fornøyd',
      rateHigh: 'Svært fornøyd',
      rateComment: 'Vil du si noe mer? (valgfritt)',
      rateSend: 'Send vurdering',
      rateChoose: 'Velg et tall fra 1 til 5.',
      rated: 'Takk! Du ga samtalen {n} av 5.',
      closedUntil: 'Vi er stengt nå. Vi åpner {time}.',
      closedNow: 'Vi er stengt nå.',
      noAgent: 'Ingen rådgivere er pålogget akkurat nå. Du kan starte chatten og vente, eller legge igjen en melding.',
      noAgentWait: 'Ingen rådgivere er pålogget akkurat nå. Du kan starte chatten og vente.',
      copyTitle: 'Vil du ha en kopi av samtalen på e-post?',
      copyEmail: 'E-postadresse',
      copySend: 'Send meg en kopi',
      copyPending: 'Du får en kopi på {to} når samtalen er avsluttet.',
      copySent: 'En kopi er sendt til {to}.',
      copyAtStart: 'Send meg en kopi av samtalen på e-post',
      copyAtStartEmail: 'E-postadresse for kopien',
      copyAtStartMissing: 'Skriv e-postadressen kopien skal til.',
      copyFailed: 'Vi fikk ikke bestilt kopien på e-post. Du kan prøve igjen her.',
      problem_too_long: 'Teksten er for lang.',
      problem_single_line: 'Skriv det på én linje.',
      leaveMessage: 'Legg igjen en melding',
      leaveLead: 'Skriv hva det gjelder, så svarer vi deg på e-post.',
      email: 'E-post',
      yourMessage: 'Meldingen din',
      leaveSend: 'Send meldingen',
      leaveSending: 'Sender …',
      back: 'Tilbake',
      leaveThanks: 'Takk! Vi svarer deg på e-post til {email}.',
      leaveOff: 'Vi kan ikke ta imot meldinger akkurat nå. Prøv igjen når vi har åpnet.',
      typing: '{name} skriver…',
      seen: 'Sett',
      delivered: 'Levert',
      joined: '{name} ble med i samtalen',
      newMessage: 'Ny melding',
      endChat: 'Avslutt chatten',
      endTitle: 'Avslutte chatten?',
      endText: 'Rådgiveren får beskjed om at du har gått, og samtalen kan ikke fortsettes.',
      keepChatting: 'Fortsett chatten',
      ending: 'Avslutter …',
      endFailed: 'Chatten kunne ikke avsluttes. Prøv igjen.',
      reconnecting: 'Forbindelsen er brutt. Kobler til igjen …',
      sending: 'Sender …',
      notSent: 'Ikke sendt.',
      resendsItself: 'Sendes når forbindelsen er tilbake.',
      retry: 'Prøv igjen',
      refusedTitle: 'Chatten er ikke tilgjengelig her',
      refusedText: 'Denne nettsiden er ikke satt opp for chat med oss. Kontakt oss på en annen måte.',
      unreachableTitle: 'Vi får ikke kontakt med chatten',
      unreachableText: 'Sjekk nettforbindelsen og prøv igjen om litt.',
      transferred: 'Du er satt over til {queue}. Vent litt, så svarer en rådgiver der.',
      transferredAway: 'Du er satt over til en annen rådgiver. Vent litt.',
      unread: '{n} ny melding fra {name}',
      problem_invalid: 'Sjekk det du skrev her.',
      attach: 'Legg ved fil',
      uploading: 'Sender … {percent} %',
      download: 'Last ned',
      downloadFile: 'Last ned {name}',
      downloadFailed: 'Kunne ikke laste ned filen.',
      fileErased: 'Fil (slettet)',
      file_unsupported: 'Denne filtypen kan ikke sendes. Send et bilde, en PDF eller en tekstfil.',
      file_too_large: 'Filen er for stor.',
      file_refused: 'Filen ble avvist.',
    },
    en: {
      open: 'Chat with us',
      title: 'Chat with us',
      subtitle: 'We will answer as soon as we can.',
      minimize: 'Minimise the chat',
      close: 'Close',
      name: 'Name',
      topic: 'What is it about?',
      choose: 'Choose …',
      start: 'Start chat',
      starting: 'Starting …',
      fixErrors: 'Please check the marked fields.',
      queue: 'You are number {n} in the queue.',
      queueNext: 'You are next in the queue.',
      estimate: 'Estimated wait: {time}.',
      minutes: 'about {n} min',
      underMinute: 'under a minute',
      waiting: 'Waiting for an available adviser …',
      connected: 'You are chatting with {name}.',
      ended: 'The chat has ended. Thank you!',
      newChat: 'Start a new chat',
      message: 'Message',
      placeholder: 'Write a message …',
      send: 'Send',
      you: 'You',
      agent: 'Adviser',
      system: 'Samtale',
      notice_no_agents_available: 'No advisers are available right now; we will answer as soon as someone is.',
      failed: 'Something went wrong. Please try again.',
      required: '(required)',
      problem_required: 'Required.',
      problem_email: 'Enter a valid e-mail address.',
      problem_phone: 'Enter a valid phone number.',
      deleteChat: 'Delete this conversation',
      deleteTitle: 'Delete the conversation for good?',
      deleteText: 'The messages and what you filled in are erased, here and with us. This cannot be undone.',
      deleteConfirm: 'Delete the conversation',
      cancel: 'Cancel',
      deleting: 'Deleting …',
      deleted: 'The conversation was deleted. Neither you nor we can see it again.',
      deleteFailed: 'The conversation could not be deleted. Please try again.',
      erased: '(erased)',
      rateTitle: 'How satisfied are you with the help you got?',
      rateScore: '{n} of 5',
      rateLow: 'Not satisfied',
      rateHigh: 'Very satisfied',
      rateComment: 'Anything else to tell us? (optional)',
      rateSend: 'Send rating',
      rateChoose: 'Choose a number from 1 to 5.',
      rated: 'Thank you! You rated the chat {n} of 5.',
      closedUntil: 'We are closed now. We open {time}.',
      closedNow: 'We are closed now.',
      noAgent: 'No adviser is logged in right now. You can start the chat and wait, or leave a message.',
      noAgentWait: 'No adviser is logged in right now. You can start the chat and wait.',
      copyTitle: 'Would you like a copy of the conversation by e-mail?',
      copyEmail: 'E-mail address',
      copySend: 'Send me a copy',
      copyPending: 'A copy goes to {to} once the chat has ended.',
      copySent: 'A copy was sent to {to}.',
      copyAtStart: 'Send me a copy of the conversation by e-mail',
      copyAtStartEmail: 'E-mail address for the copy',
      copyAtStartMissing: 'Enter the address the copy goes to.',
      copyFailed: 'The copy by e-mail could not be ordered. You can try again here.',
      problem_too_long: 'The text is too long.',
      problem_single_line: 'Keep it to one line.',
      leaveMessage: 'Leave a message',
      leaveLead: 'Tell us what it is about, and we will answer you by e-mail.',
      email: 'E-mail',
      yourMessage: 'Your message',
      leaveSend: 'Send the message',
      leaveSending: 'Sending …',
      back: 'Back',
      leaveThanks: 'Thanks — we will answer by e-mail to {email}.',
      leaveOff: 'We cannot take messages right now. Please try again when we are open.',
      typing: '{name} is typing…',
      seen: 'Seen',
      delivered: 'Delivered',
      joined: '{name} joined the conversation',
      newMessage: 'New message',
      endChat: 'End the chat',
      endTitle: 'End the chat?',
      endText: 'The adviser is told that you have left, and the chat cannot be continued.',
      keepChatting: 'Keep chatting',
      ending: 'Ending …',
      endFailed: 'The chat could not be ended. Please try again.',
      reconnecting: 'Connection lost. Reconnecting …',
      sending: 'Sending …',
      notSent: 'Not sent.',
      resendsItself: 'It goes out when the connection is back.',
      retry: 'Retry',
      refusedTitle: 'Chat is not available here',
      refusedText: 'This website is not set up for chatting with us. Please contact us another way.',
      unreachableTitle: 'We cannot reach the chat',
      unreachableText: 'Check the connection and try again in a moment.',
      transferred: 'You have been transferred to {queue}, please wait for an adviser there.',
      transferredAway: 'You have been transferred to another adviser, please wait.',
      unread: '{n} new message from {name}',
      problem_invalid: 'Check what you wrote here.',
      attach: 'Attach a file',
      uploading: 'Sending … {percent} %',
      download: 'Download',
      downloadFile: 'Download {name}',
      downloadFailed: 'Could not download the file.',
      fileErased: 'File (erased)',
      file_unsupported: 'This kind of file cannot be sent. Send a picture, a PDF or a text file.',
      file_too_large: 'The file is too large.',
      file_refused: 'The file was refused.',
    },
  };
  const language = script.dataset.lang in STRINGS
    ? script.dataset.lang
    : (/^(nb|nn|no)\b/i.test(navigator.language) ? 'nb' : 'en');
  // A key this widget does not know yet (a newer server's notice) says nothing rather than break.
  const t = (key, vars = {}) => (STRINGS[language][key] ?? '').replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
  // A queue's or category's name, and a select field's option, in the widget's language where
  // the administrator gave an English one; what is sent is always the Norwegian option.
  const localName = (row) => (language === 'en' && row.name_en) || row.name;
  const optionText = (field, i) => (language === 'en' && field.options_en?.[i]) || field.options[i];

  // Each field problem carries a stable code; the widget says it in its own language. A code
  // it does not know yet (a newer server's) still gets its own words, never the server's English.
  const FIELD_PROBLEMS = {
    required: 'problem_required',
    'not-an-email': 'problem_email',
    'not-a-phone': 'problem_phone',
    'too-long': 'problem_too_long',
    'not-single-line': 'problem_single_line',
  };
  const problemText = ({ key, code }) => {
    if (FIELD_PROBLEMS[code]) return t(FIELD_PROBLEMS[code]);
    // An address mail systems would not take (left messages, copies) is `invalid` under `email`.
    if (key === 'email' && code === 'invalid') return t('problem_email');
    return t('problem_invalid');
  };

  function h(tag, props = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  async function call(path, {
    method = 'GET', body, token, idempotencyKey,
  } = {}) {
    const headers = { Accept: 'application/json' };
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(API + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw Object.assign(new Error(data?.detail ?? `HTTP ${response.status}`), { status: response.status, problem: data });
    return data;
  }

  function randomId() {
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /**
   * A random UUID (version 4): the `Idempotency-Key` of a left message, all that ties a retry
   * to the first attempt for an anonymous customer, so the server takes no other kind.
   */
  function uuid4() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // ---- the frame: host element, shadow root, launcher and panel ----

  const host = h('div', { class: pageMode ? 'page-host' : 'samtale-widget-host' });
  const root = host.attachShadow({ mode: 'open' });
  const styles = h('link', { rel: 'stylesheet', href: `${origin}/widget.css` });
  const body = h('div', { class: 'body' });
  // The page's one heading where the widget is the page; a section heading on a company's site.
  const panelTitle = h(pageMode ? 'h1' : 'h2', { id: 'samtale-title', text: t('title') });
  // × closes the panel; in a running chat it ends the chat, after asking (see `closeChat`).
  const closeButton = h('button', {
    type: 'button', class: 'icon close', 'aria-label': t('close'), title: t('close'), text: '×', onclick: () => closeChat(),
  });
  const panel = h('section', {
    class: `panel${pageMode ? ' page' : ''}`, role: pageMode ? undefined : 'dialog', 'aria-labelledby': 'samtale-title', hidden: !pageMode,
  },
  h('header', { class: 'head' },
    h('div', {}, panelTitle, h('p', { class: 'subtitle', text: t('subtitle') })),
    !pageMode && h('button', {
      type: 'button', class: 'icon', 'aria-label': t('minimize'), title: t('minimize'), text: '–', onclick: () => setOpen(false),
    }),
    closeButton),
  body);
  // Minimised, the launcher counts the staff's lines the customer has not seen and shows the
  // last of them beside it, so an answer is never missed on the company's page.
  const badge = h('span', { class: 'launcher-badge', 'aria-hidden': 'true', hidden: true });
  const unreadSaid = h('span', { class: 'visually-hidden' });
  const launcher = h('button', {
    type: 'button', class: 'launcher', 'aria-expanded': 'false', onclick: () => setOpen(panel.hidden),
  }, h('span', { class: 'launcher-dot', 'aria-hidden': 'true' }), t('open'), badge, unreadSaid);
  const preview = h('button', { type: 'button', class: 'preview', hidden: true, onclick: () => setOpen(true) });
  root.append(styles, panel, pageMode ? '' : launcher, pageMode ? '' : preview);
  host.hidden = true;
  styles.addEventListener('load', () => { host.hidden = false; });
  styles.addEventListener('error', () => { host.hidden = false; });
  if (pageMode) {
    document.body.style.margin = '0';
    document.documentElement.lang = language;
  }
  (document.querySelector('[data-samtale-widget]') ?? document.body).append(host);

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      unread = 0;
      showUnread();
      panel.querySelector('input, select, textarea')?.focus();
    } else {
      launcher.focus();
    }
  }

  /** Staff lines that arrived while minimised, and the last of them. */
  let unread = 0;

  function showUnread(name, text) {
    badge.hidden = unread === 0;
    badge.textContent = String(unread);
    preview.hidden = unread === 0;
    unreadSaid.textContent = unread === 0 ? '' : ` (${t('unread', { n: unread, name })})`;
    if (text) preview.replaceChildren(h('span', { class: 'preview-name', text: name }), h('span', { class: 'preview-text', text }));
  }

  /** A staff line while the panel is minimised on a company's page. */
  function noteUnread(name, text) {
    if (pageMode || !panel.hidden) return;
    unread += 1;
    showUnread(name, text);
  }

  // ---- state ----

  let chat = null; // { chat_id, customer_token }
  let view = null; // the chat view from the server
  let stream = null;
  let config = null;

  const saved = () => JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
  const remember = (value) => {
    if (value) {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
    } else {
      sessionStorage.removeItem(STORAGE_KEY);
      // Never written by this version; an older one, or a site's copy, may have: a deleted
      // conversation leaves no token behind anywhere.
      localStorage.removeItem(STORAGE_KEY);
    }
  };

  // ---- forms ----

  /**
   * A labelled field with its error line, registered in `errors` by key. `prefix` keeps ids
   * apart between the forms (`samtale-field-name`, `samtale-leave-field-name`).
   */
  function fieldRow(errors, prefix, key, label, control, required) {
    const error = h('span', { class: 'field-error', id: `${prefix}-error-${key}`, 'aria-live': 'polite' });
    errors.set(key, error);
    control.id = `${prefix}-field-${key}`;
    control.name = key;
    control.setAttribute('aria-describedby', error.id);
    // A problem the customer is fixing is no longer theirs to read.
    control.addEventListener('input', () => {
      error.textContent = '';
      control.removeAttribute('aria-invalid');
    });
    return h('div', { class: 'field', 'data-field': key },
      h('label', { for: control.id }, label, required ? h('span', { class: 'req', text: ` ${t('required')}` }) : ''),
      control, error);
  }

  function clearProblems(form, errors, summary) {
    for (const e of errors.values()) e.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    summary.textContent = '';
  }

  /** Each field problem of a 422 under its field (`rename`: the server's key → the form's). */
  function showProblems(form, errors, problems, rename = (key) => key) {
    for (const fieldProblem of problems) {
      const key = rename(fieldProblem.key);
      const target = errors.get(key);
      if (!target) continue;
      target.textContent = problemText(fieldProblem);
      form.querySelector(`[name="${CSS.escape(key)}"]`)?.setAttribute('aria-invalid', 'true');
    }
    form.querySelector('[aria-invalid]')?.focus();
  }

  // ---- the pre-chat form ----

  async function showForm() {
    config = config ?? await call('/widget/config');
    const errors = new Map();
    const field = (key, label, control, required) => fieldRow(errors, 'samtale', key, label, control, required);
    const topics = config.categories.length > 0
      ? config.categories.map((c) => [`category:${c.category_id}`, localName(c)])
      : config.queues.map((q) => [`queue:${q.queue_id}`, localName(q)]);
    const inputFor = (f) => {
      if (f.kind === 'select') {
        return h('select', {}, h('option', { value: '', text: t('choose') }),
          f.options.map((o, i) => h('option', { value: o, text: optionText(f, i) })));
      }
      const type = { email: 'email', phone: 'tel' }[f.kind] ?? 'text';
      const autocomplete = { email: 'email', phone: 'tel' }[f.kind];
      return h('input', { type, maxlength: String(f.max_length), autocomplete });
    };
    const summary = h('p', { class: 'form-error', role: 'alert' });
    const closedNote = h('p', { class: 'closed', role: 'status', hidden: true });
    // An open topic whose queue has nobody logged in: said before the customer starts, in a
    // region that is always there (an appearing one is not read out by every screen reader).
    const nobodyNote = h('div', { class: 'no-agent', role: 'status' });
    // Where mail is sent, a closed or unstaffed topic still takes a message, answered by e-mail.
    const leaveButton = h('button', {
      type: 'button', class: 'secondary inline', hidden: true, text: t('leaveMessage'), onclick: () => leaveMessage(),
    });
    const copy = copyAtStart();
    const submit = h('button', { type: 'submit', class: 'primary', text: t('start') });
    const form = h('form', { class: 'prechat', novalidate: true },
      field('name', t('name'), h('input', { type: 'text', maxlength: '100', autocomplete: 'name' }), true),
      field('category_id', t('topic'), h('select', {}, h('option', { value: '', text: t('choose') }),
        topics.map(([value, label]) => h('option', { value, text: label }))), true),
      // A field's label in the widget's language, where the administrator gave one.
      config.fields.map((f) => field(f.key, (language === 'en' && f.label_en) || f.label, inputFor(f), f.required)),
      copy?.row,
      closedNote,
      nobodyNote,
      leaveButton,
      summary,
      submit);
    // Outside its queue's opening hours a topic takes no chat: the form says when it opens,
    // and follows the hours as they change (a queue opening, an administrator's change); the
    // same for whether anyone is logged in to take it.
    const topic = form.querySelector('[name="category_id"]');
    const queueOf = (value) => {
      const [kind, id] = (value || ':').split(':');
      return kind === 'queue' ? id : config.categories.find((c) => c.category_id === id)?.queue_id;
    };
    const updateOpen = () => {
      const queue = config.queues.find((q) => q.queue_id === queueOf(topic.value));
      const closed = Boolean(queue && !queue.open);
      closedNote.hidden = !closed;
      if (closed) closedNote.textContent = queue.opens_at ? t('closedUntil', { time: when(queue.opens_at) }) : t('closedNow');
      const unstaffed = Boolean(queue && queue.open && queue.agents_logged_in === false);
      const nobody = unstaffed ? t(config.transcripts_by_email ? 'noAgent' : 'noAgentWait') : '';
      // Only a change is written: the config is read again every 30 s, and each write is read out.
      if (nobodyNote.textContent !== nobody) {
        nobodyNote.replaceChildren(...(nobody ? [h('p', { text: nobody })] : []));
      }
      leaveButton.hidden = !(closed || unstaffed) || !config.transcripts_by_email;
      submit.disabled = closed;
    };
    // What the customer filled in comes along to the message form.
    const emailField = config.fields.find((f) => f.kind === 'email');
    const typedEmail = () => (emailField ? form.querySelector(`[name="${CSS.escape(emailField.key)}"]`).value : '');
    const leaveMessage = () => showLeaveForm({
      topic: topic.value, name: form.querySelector('[name="name"]').value, email: typedEmail(),
    });
    topic.addEventListener('change', updateOpen);
    const followHours = setInterval(async () => {
      if (!form.isConnected) {
        clearInterval(followHours);
        return;
      }
      config = await call('/widget/config').catch(() => config);
      updateOpen();
    }, 30_000);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearProblems(form, errors, summary);
      // A copy asked for needs an address: the form's e-mail field's, or the one beside the box.
      const copyTo = copy?.wanted() ? (emailField ? typedEmail() : copy.address()) : null;
      if (copyTo !== null && !copyTo.trim()) {
        copy.missing(emailField && form.querySelector(`[name="${CSS.escape(emailField.key)}"]`), errors.get(emailField?.key));
        return;
      }
      const values = Object.fromEntries(new FormData(form));
      const [kind, id] = (values.category_id || ':').split(':');
      const fields = {};
      for (const f of config.fields) if (values[f.key]) fields[f.key] = values[f.key];
      submit.disabled = true;
      submit.textContent = t('starting');
      try {
        const started = await call('/customer/chats', {
          method: 'POST',
          body: { name: values.name, [kind === 'queue' ? 'queue_id' : 'category_id']: id || undefined, fields, identity },
        });
        chat = started;
        remember(started);
        await showChat();
        // Ordered once the chat exists; a refusal leaves the chat as it is, with a note.
        if (copyTo) orderCopy(copyTo);
      } catch (error) {
        if (error.problem?.type?.endsWith('/queue-closed')) {
          config = await call('/widget/config').catch(() => config);
          // The server has the last word: closed now, whatever the config read a moment ago.
          const queue = config.queues.find((q) => q.queue_id === queueOf(topic.value));
          if (queue) queue.open = false;
          updateOpen();
          return;
        }
        const problems = error.problem?.errors ?? [];
        summary.textContent = problems.length > 0 ? t('fixErrors') : t('failed');
        showProblems(form, errors, problems, (key) => (key === 'queue_id' ? 'category_id' : key));
      } finally {
        submit.textContent = t('start');
        updateOpen();
      }
    });
    body.replaceChildren(form);
    showClose();
    updateOpen();
  }

  /** An opening time, in the reader's language and time zone. */
  const when = (at) => new Intl.DateTimeFormat(language === 'nb' ? 'nb-NO' : 'en-GB', {
    weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
  }).format(new Date(at));

  /**
   * The pre-chat form's "send me a copy" box, where the service sends mail (null elsewhere).
   * Without an e-mail field in the form it brings its own address field, shown once ticked.
   */
  function copyAtStart() {
    if (!config.transcripts_by_email) return null;
    const hasEmailField = config.fields.some((f) => f.kind === 'email');
    const box = h('input', { type: 'checkbox', id: 'samtale-copy' });
    const error = h('span', { class: 'field-error', id: 'samtale-copy-error', 'aria-live': 'polite' });
    const address = hasEmailField ? null : h('input', {
      type: 'email', id: 'samtale-copy-email', autocomplete: 'email', maxlength: '254', 'aria-describedby': error.id,
    });
    const addressRow = address && h('div', { class: 'field', hidden: true },
      h('label', { for: address.id, text: t('copyAtStartEmail') }), address);
    box.addEventListener('change', () => {
      if (addressRow) addressRow.hidden = !box.checked;
      error.textContent = '';
    });
    const row = h('div', { class: 'copy-start' },
      h('div', { class: 'check' }, box, h('label', { for: box.id, text: t('copyAtStart') })),
      addressRow, error);
    return {
      row,
      wanted: () => box.checked,
      address: () => address?.value ?? '',
      /** No address to send it to: said under the field it should come from. */
      missing: (input = address, fieldError = error) => {
        fieldError.textContent = t('copyAtStartMissing');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      },
    };
  }

  /** The copy asked for in the pre-chat form. Never in the chat's way: a refusal is a note. */
  async function orderCopy(address) {
    try {
      view = await call(`/customer/chats/${chat.chat_id}/transcript`, {
        method: 'POST', token: chat.customer_token, body: { email: address },
      });
      render();
    } catch {
      copyEmail.value = address;
      copyError.textContent = t('copyFailed');
    }
  }

  // ---- a message left for a closed queue ----

  /**
   * Name, address and words for a queue that is closed, answered by e-mail; no chat follows.
   * `topic` is the pre-chat form's choice (`queue:ID` or `category:ID`); `name` and `email`
   * what the customer typed there. One key for the form's attempts, so a retry after a lost
   * answer does not leave the message twice.
   */
  function showLeaveForm({ topic, name, email }) {
    const [kind, id] = topic.split(':');
    const key = uuid4();
    const errors = new Map();
    const field = (k, label, control) => fieldRow(errors, 'samtale-leave', k, label, control, true);
    const summary = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'primary', text: t('leaveSend') });
    const nameInput = h('input', { type: 'text', maxlength: '100', autocomplete: 'name' });
    const emailInput = h('input', { type: 'email', maxlength: '254', autocomplete: 'email' });
    const text = h('textarea', { rows: '5', maxlength: '4000' });
    nameInput.value = name;
    emailInput.value = email;
    const form = h('form', { class: 'prechat leave', novalidate: true, 'aria-labelledby': 'samtale-leave-title' },
      h('p', { class: 'rate-title', id: 'samtale-leave-title', text: t('leaveMessage') }),
      h('p', { class: 'lead', text: t('leaveLead') }),
      field('name', t('name'), nameInput),
      field('email', t('email'), emailInput),
      field('text', t('yourMessage'), text),
      summary,
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'secondary inline', text: t('back'), onclick: () => showForm() }),
        submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearProblems(form, errors, summary);
      submit.disabled = true;
      submit.textContent = t('leaveSending');
      try {
        await call('/customer/left-messages', {
          method: 'POST',
          idempotencyKey: key,
          body: {
            name: nameInput.value, email: emailInput.value, text: text.value, [kind === 'queue' ? 'queue_id' : 'category_id']: id,
          },
        });
        showLeft(emailInput.value.trim());
      } catch (error) {
        const problems = error.problem?.errors ?? [];
        if (error.problem?.type?.endsWith('/transcripts-off')) summary.textContent = t('leaveOff');
        else summary.textContent = problems.length > 0 ? t('fixErrors') : t('failed');
        showProblems(form, errors, problems);
      } finally {
        submit.disabled = false;
        submit.textContent = t('leaveSend');
      }
    });
    body.replaceChildren(form);
    // The first field still empty: usually the message itself, the rest came from the form.
    ([nameInput, emailInput, text].find((el) => !el.value) ?? text).focus();
  }

  /** The message is with the company: where the answer will go, and the way back. */
  function showLeft(email) {
    const thanks = h('p', { class: 'left-thanks', role: 'status', tabindex: '-1', text: t('leaveThanks', { email }) });
    body.replaceChildren(thanks, h('button', { type: 'button', class: 'secondary', text: t('back'), onclick: () => showForm() }));
    thanks.focus();
  }

  // ---- the conversation ----

  const status = h('p', { class: 'status', role: 'status' });
  const connection = h('p', { class: 'connection', role: 'status', hidden: true, text: t('reconnecting') });
  const transcript = h('ol', { class: 'transcript', 'aria-live': 'polite' });
  // "Kari is typing…" while the agent types; empty otherwise (the line keeps its place).
  const typingNote = h('p', { class: 'typing', role: 'status' });
  const input = h('textarea', { rows: '2', maxlength: '4000', placeholder: t('placeholder'), 'aria-label': t('message') });
  const filePicker = h('input', {
    type: 'file', multiple: true, hidden: true, accept: 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain',
  });
  // A paper clip, drawn: an emoji is not in every font.
  const clip = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  clip.setAttribute('viewBox', '0 0 24 24');
  clip.setAttribute('aria-hidden', 'true');
  const clipPath = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  clipPath.setAttribute('d', 'M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5');
  clip.append(clipPath);
  const attach = h('button', {
    type: 'button', class: 'attach', 'aria-label': t('attach'), title: t('attach'), onclick: () => filePicker.click(),
  }, clip);
  const composer = h('form', { class: 'composer' }, input, attach, filePicker, h('button', { type: 'submit', class: 'primary', text: t('send') }));
  const restart = h('button', { type: 'button', class: 'secondary', text: t('newChat'), onclick: () => reset() });

  /**
   * A step in the panel that asks before something that cannot be undone. `act(error)` does it,
   * and where it could not, says why on the step's `error` line; `cancelled` runs when the
   * customer backs out. The safe choice takes the focus, so a stray Enter does nothing.
   */
  function confirmation({
    id, title, text, confirmLabel, busyLabel, cancelLabel = t('cancel'), act, cancelled,
  }) {
    const error = h('p', { class: 'form-error', role: 'alert' });
    const cancel = h('button', {
      type: 'button', class: 'secondary', text: cancelLabel, onclick: () => back(),
    });
    const confirm = h('button', { type: 'button', class: 'danger', text: confirmLabel, onclick: run });
    const box = h('div', {
      class: 'confirm', role: 'group', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-text`, hidden: true,
    },
    h('p', { class: 'confirm-title', id: `${id}-title`, text: title }),
    h('p', { class: 'confirm-text', id: `${id}-text`, text }),
    error,
    h('div', { class: 'confirm-actions' }, cancel, confirm));
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        back();
      }
    });
    function back() {
      box.hidden = true;
      cancelled();
    }
    async function run() {
      confirm.disabled = true;
      cancel.disabled = true;
      confirm.textContent = busyLabel;
      try {
        await act(error);
      } finally {
        confirm.disabled = false;
        cancel.disabled = false;
        confirm.textContent = confirmLabel;
      }
    }
    return {
      box,
      ask() {
        error.textContent = '';
        box.hidden = false;
        cancel.focus();
      },
      close() { box.hidden = true; },
    };
  }

  // Deleting an ended conversation (the customer's right to erasure): a confirmation step in
  // the panel, then the server erases the chat and the token stops opening anything.
  const deleteButton = h('button', {
    type: 'button', class: 'secondary delete', text: t('deleteChat'), onclick: () => askDelete(),
  });
  const deleteStep = confirmation({
    id: 'samtale-delete',
    title: t('deleteTitle'),
    text: t('deleteText'),
    confirmLabel: t('deleteConfirm'),
    busyLabel: t('deleting'),
    act: deleteChat,
    cancelled: () => {
      showEndedActions(true);
      deleteButton.focus();
    },
  });

  function askDelete() {
    showEndedActions(false);
    deleteStep.ask();
  }

  /** "Start a new chat" and "Delete" under an ended chat, unless a confirmation is asking. */
  function showEndedActions(shown) {
    deleteButton.hidden = !shown || !ended();
    restart.hidden = !shown || !ended();
  }

  async function deleteChat(error) {
    try {
      await call(`/customer/chats/${chat.chat_id}/erase`, { method: 'POST', token: chat.customer_token });
      forgetDeleted();
    } catch (problem) {
      // Erased already (another tab, the company): the outcome the customer asked for.
      if (problem.problem?.type?.endsWith('/chat-erased')) forgetDeleted();
      else error.textContent = t('deleteFailed');
    }
  }

  // Ending a running chat with ×: asked first, and the transcript stays until the customer
  // confirms; backing out leaves the chat exactly as it was, the box ready to type in.
  const endStep = confirmation({
    id: 'samtale-end',
    title: t('endTitle'),
    text: t('endText'),
    confirmLabel: t('endChat'),
    busyLabel: t('ending'),
    cancelLabel: t('keepChatting'),
    act: endChat,
    cancelled: () => {
      composer.hidden = ended();
      input.focus();
    },
  });

  async function endChat(error) {
    try {
      await call(`/customer/chats/${chat.chat_id}/close`, { method: 'POST', token: chat.customer_token });
    } catch (problem) {
      // Ended already (by the agent meanwhile): what the customer asked for. Anything else
      // (no connection) leaves the chat running, and says so.
      if (problem.status !== 409) {
        error.textContent = t('endFailed');
        return;
      }
    }
    endStep.close();
    await reset();
    if (!pageMode) setOpen(false);
  }

  /** The conversation is gone: nothing of it stays on the screen or in the browser. */
  function forgetDeleted() {
    stream?.close();
    stream = null;
    chat = null;
    view = null;
    remember(null);
    transcript.replaceChildren();
    deleteStep.close();
    const done = h('p', { class: 'deleted', role: 'status', tabindex: '-1', text: t('deleted') });
    restart.hidden = false;
    body.replaceChildren(done, restart);
    done.focus();
  }

  // Satisfaction: once an agent's chat has ended, the customer may rate it (1-5) and say a
  // word more; the server keeps one rating per chat.
  let score = 0;
  const scoreButtons = [1, 2, 3, 4, 5].map((n) => h('button', {
    type: 'button', class: 'score', 'aria-pressed': 'false', 'aria-label': t('rateScore', { n }), text: String(n),
    onclick: () => pickScore(n),
  }));
  const rateComment = h('textarea', { rows: '2', maxlength: '4000', 'aria-label': t('rateComment'), placeholder: t('rateComment') });
  const rateError = h('p', { class: 'form-error', role: 'alert' });
  const rateSend = h('button', { type: 'submit', class: 'primary', text: t('rateSend') });
  const rateForm = h('form', { class: 'rating', 'aria-labelledby': 'samtale-rate-title', hidden: true },
    h('p', { class: 'rate-title', id: 'samtale-rate-title', text: t('rateTitle') }),
    h('div', { class: 'scores', role: 'group', 'aria-labelledby': 'samtale-rate-title' }, scoreButtons),
    h('p', { class: 'scale' }, h('span', { text: t('rateLow') }), h('span', { text: t('rateHigh') })),
    rateComment, rateError, rateSend);
  const rateThanks = h('p', { class: 'rated', role: 'status', hidden: true });

  function pickScore(n) {
    score = n;
    for (const [i, button] of scoreButtons.entries()) button.setAttribute('aria-pressed', String(i + 1 === n));
    rateError.textContent = '';
  }

  rateForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!score) {
      rateError.textContent = t('rateChoose');
      return;
    }
    rateSend.disabled = true;
    try {
      view = await call(`/customer/chats/${chat.chat_id}/rating`, {
        method: 'POST', token: chat.customer_token, body: { score, comment: rateComment.value || undefined },
      });
      render();
    } catch (error) {
      // Rated from another tab meanwhile: show what the server has.
      if (error.problem?.type?.endsWith('/chat-rated')) await refresh();
      else rateError.textContent = t('failed');
    } finally {
      rateSend.disabled = false;
    }
  });

  function renderRating() {
    const answered = view.status === 'ended' && view.agent_id;
    rateForm.hidden = !answered || Boolean(view.rating);
    rateThanks.hidden = !view.rating;
    if (view.rating) rateThanks.textContent = t('rated', { n: view.rating });
  }

  // A copy of the conversation by e-mail, where the service sends mail: asked for at any time,
  // sent once the chat has ended.
  const copyEmail = h('input', { type: 'email', autocomplete: 'email', 'aria-label': t('copyEmail'), placeholder: t('copyEmail') });
  const copyError = h('p', { class: 'form-error', role: 'alert' });
  const copyForm = h('form', { class: 'copy', hidden: true },
    h('p', { class: 'rate-title', text: t('copyTitle') }),
    h('div', { class: 'copy-row' }, copyEmail, h('button', { type: 'submit', class: 'secondary', text: t('copySend') })),
    copyError);
  const copyNote = h('p', { class: 'copy-note', role: 'status', hidden: true });
  copyForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    copyError.textContent = '';
    try {
      view = await call(`/customer/chats/${chat.chat_id}/transcript`, {
        method: 'POST', token: chat.customer_token, body: { email: copyEmail.value },
      });
      render();
    } catch (error) {
      copyError.textContent = error.problem?.errors?.length ? t('problem_email') : t('failed');
    }
  });

  function renderCopy() {
    const mail = view.transcript_mail;
    copyForm.hidden = !config?.transcripts_by_email || Boolean(mail) || view.erased;
    copyNote.hidden = !mail;
    if (mail) copyNote.textContent = t(mail.sent_at ? 'copySent' : 'copyPending', { to: mail.to });
    if (!copyEmail.value) copyEmail.value = view.answers?.find((a) => a.kind === 'email')?.value ?? '';
  }

  // ---- typing, both ways ----

  /** `true` at most this often while the customer types; a `true` not renewed is forgotten. */
  const TYPING_EVERY = 2000;
  const TYPING_FORGOTTEN = 5000;
  /** When the last `true` went (0: none, or `false` sent since). */
  let typingAt = 0;
  let typingTimer = null;

  function signalTyping(typing) {
    if (!chat) return;
    call(`/customer/chats/${chat.chat_id}/typing`, {
      method: 'POST', token: chat.customer_token, body: { typing },
    }).catch(() => {});
  }

  /** After each change of the box: the agent hears that the customer is typing, or stopped. */
  function typed() {
    if (!view || ended() || input.value.trim() === '') {
      stopTyping();
      return;
    }
    if (Date.now() - typingAt < TYPING_EVERY) return;
    typingAt = Date.now();
    signalTyping(true);
  }

  function stopTyping() {
    if (!typingAt) return;
    typingAt = 0;
    signalTyping(false);
  }

  /** The agent's signal from the stream. */
  function agentTyping(typing, name) {
    clearTimeout(typingTimer);
    const text = typing && !ended() ? t('typing', { name: name || view?.agent_name || t('agent') }) : '';
    if (typingNote.textContent !== text) typingNote.textContent = text;
    if (text) typingTimer = setTimeout(() => agentTyping(false), TYPING_FORGOTTEN);
  }

  input.addEventListener('input', typed);
  input.addEventListener('blur', stopTyping);
  composer.addEventListener('submit', send);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  const ended = () => view && (view.status === 'ended' || view.status === 'abandoned');

  async function showChat() {
    deleteStep.close();
    endStep.close();
    // A chat resumed after a reload has not read the config yet (it says whether mail is sent).
    config = config ?? await call('/widget/config').catch(() => null);
    body.replaceChildren(status, connection, transcript, typingNote, endStep.box, composer,
      rateForm, rateThanks, copyForm, copyNote, restart, deleteButton, deleteStep.box);
    await refresh();
    listen();
    input.focus();
  }

  async function refresh() {
    view = await call(`/customer/chats/${chat.chat_id}`, { token: chat.customer_token });
    render();
  }

  function render() {
    // A chat just started or resumed has no view until the first read of it answers; what the
    // customer sent meanwhile waits in the outbox and shows with it.
    if (!view) return;
    if (ended()) {
      status.textContent = t('ended');
      stream?.close();
      connection.hidden = true;
      endStep.close();
      agentTyping(false);
      typingAt = 0;
    } else if (view.status === 'assigned') {
      status.textContent = t('connected', { name: view.agent_name ?? t('agent') });
    } else {
      renderQueuePosition(view.queue_position, view.estimated_wait_seconds);
    }
    status.dataset.status = view.status;
    composer.hidden = ended() || !endStep.box.hidden;
    showClose();
    renderRating();
    renderCopy();
    showEndedActions(deleteStep.box.hidden);
    const stuck = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
    // The customer's last line says whether the agent has read it (`read_up_to`, live on
    // `MessagesRead`): "Seen" once read, "Delivered" before.
    const lastOwn = view.transcript.filter((m) => m.author_kind === 'customer').at(-1);
    const lines = view.transcript.map((m) => ({
      number: m.number,
      el: line(m, m === lastOwn && !erasedText(m) && h('span', {
        class: `receipt${seen(m) ? ' seen' : ''}`, 'data-receipt': seen(m) ? 'seen' : 'delivered', text: t(seen(m) ? 'seen' : 'delivered'),
      })),
    }));
    // What happened while the widget was open that the transcript has no line for (a colleague
    // joined, a transfer): a line where it happened.
    for (const aside of asides) {
      lines.push({ number: aside.after + 0.5, el: h('li', { class: `message from-system ${aside.kind}` }, h('p', { class: 'text', text: aside.text })) });
    }
    lines.sort((a, b) => a.number - b.number);
    // The customer's lines the server has not confirmed come last, in the order written.
    // A file the server has announced already (its line carries the item's key) is shown once.
    const confirmed = new Set(view.transcript.map((m) => m.client_message_id).filter(Boolean));
    const waiting = outbox.filter((item) => !confirmed.has(item.id)).map((item) => line(item.file
      ? { author_kind: 'customer', local: true, attachment_id: item.id, file_name: item.file.name, file_size: item.file.size, sent_at: item.at }
      : { author_kind: 'customer', text: item.text, sent_at: item.at }, outboxState(item), item.state));
    transcript.replaceChildren(...lines.map((entry) => entry.el), ...waiting);
    if (stuck) transcript.scrollTop = transcript.scrollHeight;
  }

  /** One line of the conversation: who, when, the words (links clickable), and `extra` below. */
  function line(m, extra, state = 'sent') {
    return h('li', { class: `message from-${m.author_kind}`, 'data-state': m.author_kind === 'customer' ? state : undefined },
      h('span', { class: 'meta' },
        h('span', { class: 'author', text: authorLabel(m) }),
        m.sent_at && h('time', { class: 'at', datetime: m.sent_at, text: clock(m.sent_at) })),
      m.attachment_id || m.file ? fileBox(m) : h('p', { class: `text${erasedText(m) ? ' erased' : ''}` }, linked(messageText(m))),
      extra);
  }

  // ---- files: sent from the composer (button, paste, drop), shown as a card -----------------

  /** Attachment id → the object URL of its thumbnail, fetched once with the token. */
  const thumbnails = new Map();

  async function fetchFile(path) {
    const response = await fetch(API + path, { headers: { Authorization: `Bearer ${chat.customer_token}` } });
    if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
    return response.blob();
  }

  const fileSize = (bytes) => (bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB`
    : bytes >= 1_000 ? `${Math.round(bytes / 1_000)} kB` : `${bytes} B`);

  /** A file's card: the server's thumbnail for a picture, the name, size and a download. */
  function fileBox(m) {
    if (m.local) {
      return h('p', { class: 'file' }, h('span', { class: 'file-name', text: m.file_name }), ' ', h('span', { class: 'file-size', text: fileSize(m.file_size) }));
    }
    if (m.file_name === null) return h('p', { class: 'text erased', text: t('fileErased') });
    const path = `/customer/chats/${chat.chat_id}/attachments/${m.attachment_id}`;
    const problem = h('span', { class: 'file-problem', role: 'alert' });
    const box = h('div', { class: 'file' });
    if (m.file_type?.startsWith('image/')) {
      const picture = h('img', { class: 'thumbnail', alt: m.file_name });
      if (!thumbnails.has(m.attachment_id)) {
        thumbnails.set(m.attachment_id, fetchFile(`${path}?thumbnail=true`).then((blob) => URL.createObjectURL(blob)));
      }
      thumbnails.get(m.attachment_id).then((url) => { picture.src = url; }, () => picture.remove());
      box.append(picture);
    }
    const save = async () => {
      problem.textContent = '';
      try {
        const url = URL.createObjectURL(await fetchFile(path));
        const link = h('a', { href: url, download: m.file_name });
        root.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      } catch {
        problem.textContent = t('downloadFailed');
      }
    };
    box.append(
      h('span', { class: 'file-name', text: m.file_name }),
      h('span', { class: 'file-size', text: fileSize(m.file_size) }),
      h('button', { type: 'button', class: 'link', text: t('download'), 'aria-label': t('downloadFile', { name: m.file_name }), onclick: save }),
      problem,
    );
    return box;
  }

  /** Each file goes out as an outbox item, with its own key: a retry sends it once. */
  function sendFiles(files) {
    if (!chat || ended()) return;
    for (const file of files) {
      const item = {
        id: uuid4(), file, at: new Date().toISOString(), state: 'sending', automatic: false, progress: 0,
      };
      outbox.push(item);
      deliver(item);
    }
    input.focus();
  }

  /** The upload of an outbox item's file, with progress; resolves with the file's line. */
  function uploadFile(item) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${API}/customer/chats/${chat.chat_id}/attachments`);
      xhr.setRequestHeader('Authorization', `Bearer ${chat.customer_token}`);
      xhr.setRequestHeader('Idempotency-Key', item.id);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.addEventListener('progress', (event) => {
        if (!event.lengthComputable) return;
        item.progress = event.loaded / event.total;
        render();
      });
      xhr.addEventListener('load', () => {
        const data = (() => { try { return JSON.parse(xhr.responseText); } catch { return null; } })();
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(Object.assign(new Error(`HTTP ${xhr.status}`), { status: xhr.status, problem: data }));
      });
      xhr.addEventListener('error', () => reject(new Error('network')));
      const form = new FormData();
      form.append('file', item.file, item.file.name || 'file');
      xhr.send(form);
    });
  }

  /** Why the server would not take a file, in the customer's language. */
  function fileProblem(error) {
    const slug = error.problem?.type?.split('/').pop();
    if (slug === 'unsupported-file-type') return t('file_unsupported');
    if (slug === 'payload-too-large') return t('file_too_large');
    if (slug === 'file-refused') return t('file_refused');
    return null;
  }

  filePicker.addEventListener('change', () => {
    const files = [...filePicker.files];
    filePicker.value = '';
    sendFiles(files);
  });
  input.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    sendFiles(files);
  });
  transcript.addEventListener('dragover', (event) => {
    if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
  });
  transcript.addEventListener('drop', (event) => {
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    sendFiles(files);
  });

  /** A line's time of day, in the reader's language and time zone. */
  const clock = (at) => new Intl.DateTimeFormat(language === 'nb' ? 'nb-NO' : 'en-GB', { hour: '2-digit', minute: '2-digit' })
    .format(new Date(at));

  // Web addresses in a line become links: only http and https (never `javascript:` and the
  // like), built as elements with the address as text, opened apart from this page.
  const ADDRESS = /\bhttps?:\/\/[^\s<>"]+/gi;
  // Punctuation closing a sentence is not part of the address before it.
  const TRAILING = /[.,;:!?'»)\]]+$/;

  function linked(text) {
    const parts = [];
    let rest = 0;
    for (const match of text.matchAll(ADDRESS)) {
      const address = match[0].replace(TRAILING, '');
      let url = null;
      try {
        url = new URL(address);
      } catch {
        continue;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      parts.push(text.slice(rest, match.index),
        h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', text: address }));
      rest = match.index + address.length;
    }
    parts.push(text.slice(rest));
    return parts.filter((part) => part !== '');
  }

  const seen = (m) => Number.isFinite(view.read_up_to) && view.read_up_to >= m.number;

  /**
   * A staff member's name as the view has it: those who wrote to the customer (`authors`),
   * those in the conversation now, its agent. Null for one who wrote since it was read.
   */
  const staffName = (userId) => view.authors?.find((a) => a.user_id === userId)?.display_name
    ?? view.participants?.find((p) => p.user_id === userId)?.display_name
    ?? (userId && userId === view.agent_id ? view.agent_name : null);

  /** Each line says who wrote it: a colleague's line is theirs, not the agent's who has the chat. */
  function authorLabel(m) {
    if (m.author_kind === 'customer') return t('you');
    if (m.author_kind === 'agent') return staffName(m.author_id) ?? t('agent');
    return t('system');
  }

  /** Staff whose names the view was read again for: asked once, whatever it answered. */
  const askedNames = new Set();

  function learnName(userId) {
    if (!userId || staffName(userId) || askedNames.has(userId)) return;
    askedNames.add(userId);
    refresh().catch(() => {});
  }

  /**
   * What happened while this page was open that has no line of its own: `{ kind, key, after,
   * text }`, `after` the last line's number then, `key` what makes it the same event again.
   */
  let asides = [];

  function addAside(kind, key, text, after = view.transcript.at(-1)?.number ?? 0) {
    if (asides.some((a) => a.kind === kind && a.key === key)) return;
    asides.push({
      kind, key, after, text,
    });
    render();
  }

  // An erased message (a stream replayed after the company erased the chat) has no text:
  // it says so rather than showing nothing, or "null".
  const erasedText = (m) => !m.notice && !m.attachment_id && !m.file && (m.text === null || m.text === undefined || m.text === '');
  const messageText = (m) => {
    if (m.notice) return t(`notice_${m.notice}`);
    return erasedText(m) ? t('erased') : m.text;
  };

  function renderQueuePosition(position, estimate) {
    if (!position) status.textContent = t('waiting');
    else status.textContent = position === 1 ? t('queueNext') : t('queue', { n: position });
    // The estimate comes from the queue's recent pace; there is none until it has one.
    if (position && Number.isFinite(estimate)) {
      const time = estimate < 60 ? t('underMinute') : t('minutes', { n: Math.round(estimate / 60) });
      status.textContent += ` ${t('estimate', { time })}`;
    }
  }

  function listen() {
    stream?.close();
    if (ended()) return;
    const url = `${API}/customer/chats/${chat.chat_id}/events?access_token=${encodeURIComponent(chat.customer_token)}`;
    stream = new EventSource(url);
    const reload = () => refresh().catch(() => {});
    // A file (the agent's, or the customer's own confirmed) comes with the view's next read.
    for (const type of ['ChatAssigned', 'ChatTransferred', 'ChatRequeued', 'ChatHandedOver', 'ChatEnded', 'CustomerClosedClient', 'AttachmentSent']) {
      stream.addEventListener(type, reload);
    }
    stream.addEventListener('resync', reload);
    // The browser reconnects by itself after a drop; meanwhile the customer sees it, and once
    // back, what failed to go out for want of a connection goes again.
    stream.addEventListener('error', () => {
      if (ended()) return;
      connection.hidden = false;
      // A stream the server refused is not retried by the browser: this widget tries again.
      if (stream.readyState === EventSource.CLOSED) setTimeout(() => { if (chat && !ended()) listen(); }, RELISTEN_AFTER);
    });
    stream.addEventListener('open', () => {
      connection.hidden = true;
      for (const item of outbox) if (item.state === 'failed' && item.automatic) deliver(item);
    });
    stream.addEventListener('ChatTransferred', (event) => {
      const { ChatTransferred: moved } = JSON.parse(event.data).event;
      const after = view.transcript.filter((m) => m.sent_at <= moved.at).at(-1)?.number ?? 0;
      const to = moved.to_category
        ? config?.categories.find((c) => c.category_id === moved.to_category)
        : config?.queues.find((q) => q.queue_id === moved.to_queue);
      addAside('transferred', moved.at, to ? t('transferred', { queue: localName(to) }) : t('transferredAway'), after);
    });
    stream.addEventListener('MessageSent', (event) => {
      const { event: payload } = JSON.parse(event.data);
      const sent = payload.MessageSent;
      const fromStaff = sent.author.kind === 'agent';
      if (fromStaff) agentTyping(false);
      if (!view.transcript.some((m) => m.number === sent.number)) {
        // The customer's own line, confirmed by the stream before the answer to its request.
        if (sent.client_message_id) outbox = outbox.filter((item) => item.id !== sent.client_message_id);
        view.transcript.push({
          number: sent.number, author_kind: sent.author.kind, author_id: sent.author.user_id ?? null, text: sent.text, sent_at: sent.at,
        });
        view.transcript.sort((a, b) => a.number - b.number);
        render();
        learnName(sent.author.user_id);
        if (fromStaff) {
          callBack();
          noteUnread(staffName(sent.author.user_id) ?? t('agent'), sent.text);
        }
      }
    });
    // The service's notices are codes; the widget words them in the customer's language.
    stream.addEventListener('CustomerNotified', (event) => {
      const { CustomerNotified: told } = JSON.parse(event.data).event;
      if (!view.transcript.some((m) => m.number === told.number)) {
        view.transcript.push({ number: told.number, author_kind: 'system', text: '', notice: told.notice, sent_at: told.at });
        view.transcript.sort((a, b) => a.number - b.number);
        render();
      }
    });
    // No log event: a signal lost in a reconnect is simply not shown.
    stream.addEventListener('typing', (event) => {
      const signal = JSON.parse(event.data);
      if (signal.side === 'agent') agentTyping(signal.typing, signal.name);
    });
    stream.addEventListener('MessagesRead', (event) => {
      const { MessagesRead: read } = JSON.parse(event.data).event;
      if (!Number.isFinite(view.read_up_to) || read.up_to > view.read_up_to) {
        view.read_up_to = read.up_to;
        render();
      }
    });
    // A colleague joined: the view names them (the event carries only their id).
    stream.addEventListener('ParticipantJoined', async (event) => {
      const { ParticipantJoined: joined } = JSON.parse(event.data).event;
      const after = view.transcript.at(-1)?.number ?? 0;
      await refresh().catch(() => {});
      const name = view?.participants?.find((p) => p.user_id === joined.user_id)?.display_name;
      if (name) addAside('joined', `${joined.user_id}@${after}`, t('joined', { name }), after);
    });
    stream.addEventListener('ParticipantLeft', reload);
    stream.addEventListener('queue', (event) => {
      const { queue_position: position, estimated_wait_seconds: estimate } = JSON.parse(event.data);
      if (view.status === 'waiting') renderQueuePosition(position, estimate);
    });
  }

  // ---- calling the customer back ----
  // A customer waiting for an answer often looks at another tab meanwhile: a staff member's
  // line arriving then sounds a soft tone, and the title flashes until the page is seen again.

  let audio = null;
  /** Browsers start an AudioContext made without a click suspended: it is made on the first one. */
  function prepareSound() {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
  }
  root.addEventListener('pointerdown', prepareSound, { once: true });
  root.addEventListener('keydown', prepareSound, { once: true });

  /** One soft sine note, synthesised (no audio file), swelling in and dying away. */
  function chime() {
    if (audio?.state !== 'running') return;
    const at = audio.currentTime;
    const note = new OscillatorNode(audio, { type: 'sine', frequency: 740 });
    const level = new GainNode(audio, { gain: 0 });
    level.gain.setValueAtTime(0, at);
    level.gain.linearRampToValueAtTime(0.07, at + 0.02);
    level.gain.exponentialRampToValueAtTime(0.0001, at + 0.6);
    note.connect(level).connect(audio.destination);
    note.start(at);
    note.stop(at + 0.65);
  }

  /** While flashing: the page's own title, whether ours shows now, the timer that alternates them. */
  let flashing = null;

  function callBack() {
    if (!document.hidden) return;
    chime();
    if (flashing) return;
    flashing = { title: document.title, ours: false, timer: setInterval(flash, 1000) };
    flash();
  }

  function flash() {
    flashing.ours = !flashing.ours;
    document.title = flashing.ours ? t('newMessage') : flashing.title;
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden || !flashing) return;
    clearInterval(flashing.timer);
    document.title = flashing.title;
    flashing = null;
  });

  /**
   * The customer's lines not yet confirmed by the server: `{ id, text, at, state, automatic }`.
   * `id` is the client message id, the same on every attempt, so the server keeps one line
   * however many times it goes; `state` is `sending` or `failed`, and a line that failed for
   * want of a connection (`automatic`) goes again by itself once the stream is back.
   */
  let outbox = [];
  /** A stream the server closed is opened again after this long. */
  const RELISTEN_AFTER = 5000;

  async function send(event) {
    event.preventDefault();
    const text = input.value;
    if (text.trim() === '') return;
    input.value = '';
    // On a phone the keyboard stays open for the next line.
    input.focus();
    stopTyping();
    const item = {
      id: randomId(), text, at: new Date().toISOString(), state: 'sending', automatic: false,
    };
    outbox.push(item);
    render();
    transcript.scrollTop = transcript.scrollHeight;
    await deliver(item);
  }

  async function deliver(item) {
    item.state = 'sending';
    render();
    try {
      const message = item.file ? await uploadFile(item) : await call(`/customer/chats/${chat.chat_id}/messages`, {
        method: 'POST', token: chat.customer_token, body: { text: item.text, client_message_id: item.id },
      });
      outbox = outbox.filter((other) => other !== item);
      if (view && !view.transcript.some((m) => m.number === message.number)) view.transcript.push(message);
      render();
    } catch (error) {
      // No answer at all, or the server unwell: worth sending again. A refusal (the chat
      // ended meanwhile) is for the customer to see, and to retry if they will.
      item.state = 'failed';
      item.automatic = !error.status || error.status >= 500;
      item.refusal = item.file ? fileProblem(error) : null;
      render();
      // A stream still open has not noticed the trouble, and will not say when it is over.
      if (item.automatic && stream?.readyState === EventSource.OPEN) {
        setTimeout(() => { if (item.state === 'failed' && outbox.includes(item)) deliver(item); }, RELISTEN_AFTER);
      }
    }
  }

  /** Under a line not yet confirmed: "Sending …", or that it failed and how it goes out. */
  function outboxState(item) {
    if (item.state === 'sending') {
      const text = item.file ? t('uploading', { percent: Math.round(item.progress * 100) }) : t('sending');
      return h('span', { class: 'receipt', 'data-receipt': 'sending', text });
    }
    return h('span', { class: 'receipt failed', 'data-receipt': 'failed' },
      `${t('notSent')} `, item.refusal ? `${item.refusal} ` : '', item.automatic ? `${t('resendsItself')} ` : '',
      h('button', { type: 'button', class: 'link', text: t('retry'), onclick: () => deliver(item) }));
  }

  /**
   * × asks before it ends a running chat; on the form, or after the end, it only closes the
   * panel (an ended chat is left for a new one).
   */
  async function closeChat() {
    if (chat && view && !ended()) {
      composer.hidden = true;
      endStep.ask();
      return;
    }
    if (chat) await reset();
    if (!pageMode) setOpen(false);
  }

  /** Where the widget is the page, × is there only to end a running chat. */
  function showClose() {
    const running = Boolean(chat && view && !ended());
    const label = running ? t('endChat') : t('close');
    closeButton.setAttribute('aria-label', label);
    closeButton.title = label;
    closeButton.hidden = pageMode && !running;
  }

  async function reset() {
    stream?.close();
    stream = null;
    agentTyping(false);
    typingAt = 0;
    chat = null;
    view = null;
    asides = [];
    outbox = [];
    connection.hidden = true;
    remember(null);
    pickScore(0);
    rateComment.value = '';
    copyEmail.value = '';
    await showForm();
    body.querySelector('input')?.focus();
  }

  async function start() {
    chat = saved();
    if (chat) {
      try {
        await showChat();
        return;
      } catch {
        remember(null);
        chat = null;
      }
    }
    await showForm();
  }

  /**
   * The widget could not start. A request the browser refused though the server answers is a
   * site not among the allowed origins (a cross-origin refusal the page cannot read directly):
   * said so, apart from a server out of reach; either way with a way to close the panel.
   */
  async function showTrouble(error) {
    const reachable = !error.status && await fetch(`${API}/widget/config`, { mode: 'no-cors' }).then(() => true, () => false);
    const [title, text] = reachable ? ['refusedTitle', 'refusedText'] : ['unreachableTitle', 'unreachableText'];
    const heading = h('p', { class: 'trouble-title', tabindex: '-1', text: t(title) });
    body.replaceChildren(h('div', { class: 'trouble', role: 'alert', 'data-trouble': reachable ? 'refused' : 'unreachable' },
      heading,
      h('p', { text: t(text) }),
      pageMode ? '' : h('button', { type: 'button', class: 'secondary inline', text: t('close'), onclick: () => setOpen(false) })));
    showClose();
  }

  start().catch(showTrouble);
})();
