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
  // A site that knows its logged-in customer vouches for them: its server signs their id
  // (data-user-signature, HMAC-SHA256 under the installation's identity secret), so the agent
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
      close: 'Lukk og avslutt chatten',
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
      copyTitle: 'Vil du ha en kopi av samtalen på e-post?',
      copyEmail: 'E-postadresse',
      copySend: 'Send meg en kopi',
      copyPending: 'Du får en kopi på {to} når samtalen er avsluttet.',
      copySent: 'En kopi er sendt til {to}.',
    },
    en: {
      open: 'Chat with us',
      title: 'Chat with us',
      subtitle: 'We will answer as soon as we can.',
      minimize: 'Minimise the chat',
      close: 'Close and end the chat',
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
      copyTitle: 'Would you like a copy of the conversation by e-mail?',
      copyEmail: 'E-mail address',
      copySend: 'Send me a copy',
      copyPending: 'A copy goes to {to} once the chat has ended.',
      copySent: 'A copy was sent to {to}.',
    },
  };
  const language = script.dataset.lang in STRINGS
    ? script.dataset.lang
    : (/^(nb|nn|no)\b/i.test(navigator.language) ? 'nb' : 'en');
  // A key this widget does not know yet (a newer server's notice) says nothing rather than break.
  const t = (key, vars = {}) => (STRINGS[language][key] ?? '').replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');

  // Each field problem carries a stable code; the widget says it in its own language, and
  // falls back to the server's English only for a code it does not know yet.
  const FIELD_PROBLEMS = {
    required: 'problem_required',
    'not-an-email': 'problem_email',
    'not-a-phone': 'problem_phone',
  };
  const problemText = ({ code, problem }) => (FIELD_PROBLEMS[code] ? t(FIELD_PROBLEMS[code]) : problem);

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

  async function call(path, { method = 'GET', body, token } = {}) {
    const headers = { Accept: 'application/json' };
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

  // ---- the frame: host element, shadow root, launcher and panel ----

  const host = h('div', { class: pageMode ? 'page-host' : 'samtale-widget-host' });
  const root = host.attachShadow({ mode: 'open' });
  const styles = h('link', { rel: 'stylesheet', href: `${origin}/widget.css` });
  const body = h('div', { class: 'body' });
  const panelTitle = h('h2', { id: 'samtale-title', text: t('title') });
  const panel = h('section', {
    class: `panel${pageMode ? ' page' : ''}`, role: pageMode ? undefined : 'dialog', 'aria-labelledby': 'samtale-title', hidden: !pageMode,
  },
  h('header', { class: 'head' },
    h('div', {}, panelTitle, h('p', { class: 'subtitle', text: t('subtitle') })),
    !pageMode && h('button', {
      type: 'button', class: 'icon', 'aria-label': t('minimize'), title: t('minimize'), text: '–', onclick: () => setOpen(false),
    }),
    h('button', {
      type: 'button', class: 'icon close', 'aria-label': t('close'), title: t('close'), text: '×', onclick: closeChat,
    })),
  body);
  const launcher = h('button', {
    type: 'button', class: 'launcher', 'aria-expanded': 'false', onclick: () => setOpen(panel.hidden),
  }, h('span', { class: 'launcher-dot', 'aria-hidden': 'true' }), t('open'));
  root.append(styles, panel, pageMode ? '' : launcher);
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
    if (open) panel.querySelector('input, select, textarea')?.focus();
    else launcher.focus();
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

  // ---- the pre-chat form ----

  async function showForm() {
    config = config ?? await call('/widget/config');
    const errors = new Map();
    const field = (key, label, control, required) => {
      const error = h('span', { class: 'field-error', id: `samtale-error-${key}`, 'aria-live': 'polite' });
      errors.set(key, error);
      control.id = `samtale-field-${key}`;
      control.name = key;
      control.setAttribute('aria-describedby', error.id);
      return h('div', { class: 'field', 'data-field': key },
        h('label', { for: control.id }, label, required ? h('span', { class: 'req', text: ` ${t('required')}` }) : ''),
        control, error);
    };
    const topics = config.categories.length > 0
      ? config.categories.map((c) => [`category:${c.category_id}`, c.name])
      : config.queues.map((q) => [`queue:${q.queue_id}`, q.name]);
    const inputFor = (f) => {
      if (f.kind === 'select') {
        return h('select', {}, h('option', { value: '', text: t('choose') }),
          f.options.map((o) => h('option', { value: o, text: o })));
      }
      const type = { email: 'email', phone: 'tel' }[f.kind] ?? 'text';
      const autocomplete = { email: 'email', phone: 'tel' }[f.kind];
      return h('input', { type, maxlength: String(f.max_length), autocomplete });
    };
    const summary = h('p', { class: 'form-error', role: 'alert' });
    const closedNote = h('p', { class: 'closed', role: 'status', hidden: true });
    const submit = h('button', { type: 'submit', class: 'primary', text: t('start') });
    const form = h('form', { class: 'prechat', novalidate: true },
      field('name', t('name'), h('input', { type: 'text', maxlength: '100', autocomplete: 'name' }), true),
      field('category_id', t('topic'), h('select', {}, h('option', { value: '', text: t('choose') }),
        topics.map(([value, label]) => h('option', { value, text: label }))), true),
      config.fields.map((f) => field(f.key, f.label, inputFor(f), f.required)),
      closedNote,
      summary,
      submit);
    // Outside its queue's opening hours a topic takes no chat: the form says when it opens,
    // and follows the hours as they change (a queue opening, an administrator's change).
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
      submit.disabled = closed;
    };
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
      for (const e of errors.values()) e.textContent = '';
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      summary.textContent = '';
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
      } catch (error) {
        if (error.problem?.type?.endsWith('/queue-closed')) {
          config = await call('/widget/config').catch(() => config);
          updateOpen();
          return;
        }
        const problems = error.problem?.errors ?? [];
        for (const fieldProblem of problems) {
          const { key } = fieldProblem;
          const target = errors.get(key === 'queue_id' ? 'category_id' : key);
          if (!target) continue;
          target.textContent = problemText(fieldProblem);
          form.querySelector(`[name="${CSS.escape(key === 'queue_id' ? 'category_id' : key)}"]`)?.setAttribute('aria-invalid', 'true');
        }
        summary.textContent = problems.length > 0 ? t('fixErrors') : t('failed');
        form.querySelector('[aria-invalid]')?.focus();
      } finally {
        submit.textContent = t('start');
        updateOpen();
      }
    });
    body.replaceChildren(form);
    updateOpen();
  }

  /** An opening time, in the reader's language and time zone. */
  const when = (at) => new Intl.DateTimeFormat(language === 'nb' ? 'nb-NO' : 'en-GB', {
    weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
  }).format(new Date(at));

  // ---- the conversation ----

  const status = h('p', { class: 'status', role: 'status' });
  const transcript = h('ol', { class: 'transcript', 'aria-live': 'polite' });
  const input = h('textarea', { rows: '2', maxlength: '4000', placeholder: t('placeholder'), 'aria-label': t('message') });
  const composer = h('form', { class: 'composer' }, input, h('button', { type: 'submit', class: 'primary', text: t('send') }));
  const restart = h('button', { type: 'button', class: 'secondary', text: t('newChat'), onclick: () => reset() });

  // Deleting an ended conversation (the customer's right to erasure): a confirmation step in
  // the panel, then the server erases the chat and the token stops opening anything.
  const deleteButton = h('button', { type: 'button', class: 'secondary delete', text: t('deleteChat'), onclick: askDelete });
  const deleteError = h('p', { class: 'form-error', role: 'alert' });
  const cancelDelete = h('button', { type: 'button', class: 'secondary', text: t('cancel'), onclick: () => closeConfirm(true) });
  const confirmDelete = h('button', { type: 'button', class: 'danger', text: t('deleteConfirm'), onclick: deleteChat });
  const confirmBox = h('div', {
    class: 'confirm', role: 'group', 'aria-labelledby': 'samtale-delete-title', 'aria-describedby': 'samtale-delete-text', hidden: true,
  },
  h('p', { class: 'confirm-title', id: 'samtale-delete-title', text: t('deleteTitle') }),
  h('p', { class: 'confirm-text', id: 'samtale-delete-text', text: t('deleteText') }),
  deleteError,
  h('div', { class: 'confirm-actions' }, cancelDelete, confirmDelete));
  confirmBox.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      closeConfirm(true);
    }
  });

  function askDelete() {
    deleteError.textContent = '';
    confirmBox.hidden = false;
    deleteButton.hidden = true;
    restart.hidden = true;
    // The safe choice first: a stray Enter deletes nothing.
    cancelDelete.focus();
  }

  function closeConfirm(refocus) {
    confirmBox.hidden = true;
    deleteButton.hidden = !ended();
    restart.hidden = !ended();
    if (refocus) deleteButton.focus();
  }

  async function deleteChat() {
    confirmDelete.disabled = true;
    cancelDelete.disabled = true;
    confirmDelete.textContent = t('deleting');
    try {
      await call(`/customer/chats/${chat.chat_id}/erase`, { method: 'POST', token: chat.customer_token });
      forgetDeleted();
    } catch (error) {
      // Erased already (another tab, the company): the outcome the customer asked for.
      if (error.problem?.type?.endsWith('/chat-erased')) forgetDeleted();
      else deleteError.textContent = t('deleteFailed');
    } finally {
      confirmDelete.disabled = false;
      cancelDelete.disabled = false;
      confirmDelete.textContent = t('deleteConfirm');
    }
  }

  /** The conversation is gone: nothing of it stays on the screen or in the browser. */
  function forgetDeleted() {
    stream?.close();
    stream = null;
    chat = null;
    view = null;
    remember(null);
    transcript.replaceChildren();
    confirmBox.hidden = true;
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

  composer.addEventListener('submit', send);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  const ended = () => view && (view.status === 'ended' || view.status === 'abandoned');

  async function showChat() {
    confirmBox.hidden = true;
    // A chat resumed after a reload has not read the config yet (it says whether mail is sent).
    config = config ?? await call('/widget/config').catch(() => null);
    body.replaceChildren(status, transcript, composer, rateForm, rateThanks, copyForm, copyNote, restart, deleteButton, confirmBox);
    await refresh();
    listen();
    input.focus();
  }

  async function refresh() {
    view = await call(`/customer/chats/${chat.chat_id}`, { token: chat.customer_token });
    render();
  }

  function render() {
    if (ended()) {
      status.textContent = t('ended');
      stream?.close();
    } else if (view.status === 'assigned') {
      status.textContent = t('connected', { name: view.agent_name ?? t('agent') });
    } else {
      renderQueuePosition(view.queue_position, view.estimated_wait_seconds);
    }
    status.dataset.status = view.status;
    composer.hidden = ended();
    renderRating();
    renderCopy();
    restart.hidden = !ended() || !confirmBox.hidden;
    deleteButton.hidden = !ended() || !confirmBox.hidden;
    const stuck = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
    transcript.replaceChildren(...view.transcript.map((m) => h('li', { class: `message from-${m.author_kind}` },
      h('span', { class: 'author', text: m.author_kind === 'customer' ? t('you') : (m.author_kind === 'agent' ? (view.agent_name ?? t('agent')) : t('system')) }),
      h('p', { class: `text${erasedText(m) ? ' erased' : ''}`, text: messageText(m) }))));
    if (stuck) transcript.scrollTop = transcript.scrollHeight;
  }

  // An erased message (a stream replayed after the company erased the chat) has no text:
  // it says so rather than showing nothing, or "null".
  const erasedText = (m) => !m.notice && (m.text === null || m.text === undefined || m.text === '');
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
    for (const type of ['ChatAssigned', 'ChatTransferred', 'ChatRequeued', 'ChatEnded', 'CustomerClosedClient']) {
      stream.addEventListener(type, reload);
    }
    stream.addEventListener('resync', reload);
    stream.addEventListener('MessageSent', (event) => {
      const { event: payload } = JSON.parse(event.data);
      const sent = payload.MessageSent;
      if (!view.transcript.some((m) => m.number === sent.number)) {
        view.transcript.push({ number: sent.number, author_kind: sent.author.kind, text: sent.text, sent_at: sent.at });
        view.transcript.sort((a, b) => a.number - b.number);
        render();
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
    stream.addEventListener('queue', (event) => {
      const { queue_position: position, estimated_wait_seconds: estimate } = JSON.parse(event.data);
      if (view.status === 'waiting') renderQueuePosition(position, estimate);
    });
  }

  async function send(event) {
    event.preventDefault();
    const text = input.value;
    if (text.trim() === '') return;
    input.value = '';
    try {
      const message = await call(`/customer/chats/${chat.chat_id}/messages`, {
        method: 'POST', token: chat.customer_token, body: { text, client_message_id: randomId() },
      });
      if (!view.transcript.some((m) => m.number === message.number)) {
        view.transcript.push(message);
        render();
      }
    } catch {
      input.value = text;
      status.textContent = t('failed');
    }
  }

  /** Closing the widget ends the chat: the agent sees the customer has left. */
  async function closeChat() {
    if (chat && !ended()) {
      await call(`/customer/chats/${chat.chat_id}/close`, { method: 'POST', token: chat.customer_token }).catch(() => {});
    }
    await reset();
    if (!pageMode) setOpen(false);
  }

  async function reset() {
    stream?.close();
    stream = null;
    chat = null;
    view = null;
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

  start().catch(() => body.replaceChildren(h('p', { class: 'form-error', text: t('failed') })));
})();
