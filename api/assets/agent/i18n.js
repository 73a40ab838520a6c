// The console's two languages, Norwegian (bokmål) and English. Static markup names its
// strings with data-i18n attributes; scripts call t(). The choice is remembered per browser.

const STRINGS = {
  nb: {
    signInTitle: 'Logg inn i agentkonsollen',
    signInLead: 'Betjen kundene dine på chat.',
    username: 'Brukernavn',
    password: 'Passord',
    signIn: 'Logg inn',
    signInFailed: 'Feil brukernavn eller passord.',
    signOut: 'Logg ut',
    language: 'Språk',
    tabIncoming: 'Innkommende chatter',
    tabQueues: 'Køoversikt',
    tabAdmin: 'Administrasjon',
    incomingEmpty: 'Ingen chatter venter akkurat nå.',
    incomingPage: 'Viser de {shown} eldste av {total} som venter.',
    customer: 'Kunde',
    time: 'Tid',
    queue: 'Kø',
    category: 'Kategori',
    waited: 'Ventet',
    pickUp: 'Ta chatten fra {name}',
    waiting: 'Venter',
    ongoing: 'Pågående',
    loggedInAgents: 'Innloggede agenter',
    longestWait: 'Lengste ventetid',
    noQueues: 'Du er ikke medlem av noen chatkø.',
    presenceIn: 'Pålogget køene',
    presenceOut: 'Avlogget',
    logInQueues: 'Logg inn i køene',
    logOutQueues: 'Logg ut av køene',
    togglePanel: 'Åpne eller lukk chatpanelet',
    chats: 'Chatter',
    closePanel: 'Lukk chatpanelet',
    activeChats: 'Pågående',
    passiveChats: 'Avsluttede',
    noActive: 'Ingen pågående chatter.',
    noPassive: 'Ingen avsluttede chatter i denne økten.',
    selectChat: 'Velg en chat fra listen, eller ta en fra innkommende chatter.',
    unread: '{n} uleste meldinger',
    customerInfo: 'Kundeinformasjon',
    name: 'Navn',
    started: 'Startet',
    agent: 'Agent',
    transfers: 'Overføringer',
    noAnswers: 'Kunden fylte ikke ut flere felt.',
    endChat: 'Avslutt chat',
    transfer: 'Overfør',
    transferTo: 'Overfør til',
    chooseTarget: 'Velg kø eller kategori …',
    queuesGroup: 'Køer',
    categoriesGroup: 'Kategorier',
    messageLabel: 'Melding',
    messagePlaceholder: 'Skriv et svar … (Enter sender, Shift+Enter gir ny linje)',
    send: 'Send',
    you: 'Du',
    system: 'Samtale',
    status_waiting: 'Venter',
    status_assigned: 'Pågår',
    status_ended: 'Avsluttet',
    status_abandoned: 'Forlatt av kunden',
    chatClosed: 'Chatten er avsluttet.',
    customerLeft: '{name} lukket chatten.',
    transferred: 'Chatten ble overført.',
    notice_no_agents_available: 'Kunden fikk beskjed om at ingen agenter er pålogget.',
    'problem:chat-not-waiting': 'En annen agent tok denne chatten.',
    'problem:chat-closed': 'Kunden har forlatt denne chatten.',
    'problem:chat-not-assigned': 'Plukk opp chatten før du skriver.',
    'problem:not-a-queue-member': 'Du er ikke medlem av køen til denne chatten.',
    'problem:last-administrator': 'Det må alltid finnes minst én aktiv administrator.',
    'problem:username-taken': 'Brukernavnet er i bruk.',
    'problem:name-taken': 'Navnet er i bruk.',
    'problem:no-queues': 'Agenten er ikke medlem av noen kø.',
    'problem:concurrent-change': 'Noen andre endret dette samtidig. Prøv igjen.',
    'problem:rate-limited': 'For mange forespørsler. Vent litt og prøv igjen.',
    'problem:unavailable': 'Tjenesten er midlertidig utilgjengelig. Prøv igjen om litt.',
    live: 'Tilkoblet',
    reconnecting: 'Kobler til på nytt …',
    failed: 'Noe gikk galt: {detail}',
    agents: 'Agenter',
    agentLoggedIn: 'innlogget',
    agentLoggedOut: 'avlogget',
    agentUnknown: 'status ukjent',
    logAgentIn: 'Logg {name} inn i {queue}',
    logAgentOut: 'Logg {name} ut av {queue}',
    logIn: 'Logg inn',
    logOut: 'Logg ut',
    users: 'Brukere',
    queues: 'Køer',
    membership: 'Medlemskap',
    categories: 'Kategorier',
    formFields: 'Felt i kontaktskjemaet',
    displayName: 'Visningsnavn',
    role: 'Rolle',
    role_agent: 'Agent',
    role_supervisor: 'Supervisor',
    role_administrator: 'Administrator',
    maxChats: 'Maks samtidige chatter',
    active: 'Aktiv',
    inactive: 'Deaktivert',
    activate: 'Aktiver',
    deactivate: 'Deaktiver',
    create: 'Opprett',
    user: 'Bruker',
    addMember: 'Legg til i kø',
    removeMember: 'Fjern fra kø',
    key: 'Nøkkel',
    label: 'Ledetekst',
    kind: 'Type',
    kind_text: 'Tekst',
    kind_email: 'E-post',
    kind_phone: 'Telefon',
    kind_select: 'Valgliste',
    required: 'Påkrevd',
    options: 'Valg (kommaseparert)',
    maxLength: 'Maks lengde',
    remove: 'Fjern',
    saved: 'Lagret.',
    yes: 'Ja',
    no: 'Nei',
    tabHistory: 'Historikk',
    historyTitle: 'Dagens chatter',
    historyEmpty: 'Ingen chatter i dag ennå.',
    statusLabel: 'Status',
    messagesCount: 'Meldinger',
    audit: 'Revisjon',
    auditOf: 'Revisjon og avspilling av chatten med {name}',
    auditTitle: 'Revisjon: {name}',
    auditTrail: 'Hendelser',
    eventType: 'Hendelse',
    who: 'Hvem',
    requestId: 'Forespørsels-id',
    actorRouting: 'Automatisk fordeling',
    replay: 'Avspilling',
    replayPick: 'Velg et tidspunkt i chatten',
    replayHere: 'Vis chatten slik den var her',
    replayAt: 'Slik chatten sto {time}, etter {type}',
    replayNoMessages: 'Ingen meldinger ennå på dette tidspunktet.',
    asOf: 'Per',
    loading: 'Laster …',
    close: 'Lukk',
    todayChart: 'I dag',
    chartQueue: 'Kø i diagrammet',
    allQueues: 'Alle køer',
    chartEmpty: 'Ingen chatter i køene i dag ennå.',
    chartLabel: 'Tilbudte og forlatte chatter per kvarter, og servicenivået, i dag',
    chartTip: '{time}: {offered} tilbudt, {abandoned} forlatt, servicenivå {sl}',
    offered: 'Tilbudt',
    abandoned: 'Forlatt',
    serviceLevel: 'Servicenivå',
  },
  en: {
    signInTitle: 'Sign in to the agent console',
    signInLead: 'Serve your customers on chat.',
    username: 'Username',
    password: 'Password',
    signIn: 'Sign in',
    signInFailed: 'Wrong username or password.',
    signOut: 'Sign out',
    language: 'Language',
    tabIncoming: 'Incoming chats',
    tabQueues: 'Queue overview',
    tabAdmin: 'Administration',
    incomingEmpty: 'No chats are waiting right now.',
    incomingPage: 'Showing the oldest {shown} of {total} waiting.',
    customer: 'Customer',
    time: 'Time',
    queue: 'Queue',
    category: 'Category',
    waited: 'Waited',
    pickUp: 'Pick up the chat from {name}',
    waiting: 'Waiting',
    ongoing: 'Ongoing',
    loggedInAgents: 'Logged-in agents',
    longestWait: 'Longest wait',
    noQueues: 'You are not a member of any chat queue.',
    presenceIn: 'Logged in to queues',
    presenceOut: 'Logged out',
    logInQueues: 'Log in to queues',
    logOutQueues: 'Log out of queues',
    togglePanel: 'Open or close the chat panel',
    chats: 'Chats',
    closePanel: 'Close the chat panel',
    activeChats: 'Ongoing',
    passiveChats: 'Ended',
    noActive: 'No ongoing chats.',
    noPassive: 'No ended chats this session.',
    selectChat: 'Select a chat from the list, or pick one from incoming chats.',
    unread: '{n} unread messages',
    customerInfo: 'Customer information',
    name: 'Name',
    started: 'Started',
    agent: 'Agent',
    transfers: 'Transfers',
    noAnswers: 'The customer filled in no other fields.',
    endChat: 'End chat',
    transfer: 'Transfer',
    transferTo: 'Transfer to',
    chooseTarget: 'Choose a queue or category …',
    queuesGroup: 'Queues',
    categoriesGroup: 'Categories',
    messageLabel: 'Message',
    messagePlaceholder: 'Write a reply … (Enter sends, Shift+Enter for a new line)',
    send: 'Send',
    you: 'You',
    system: 'Samtale',
    status_waiting: 'Waiting',
    status_assigned: 'Ongoing',
    status_ended: 'Ended',
    status_abandoned: 'Abandoned by the customer',
    chatClosed: 'The chat has ended.',
    customerLeft: '{name} closed the chat.',
    transferred: 'The chat was transferred.',
    notice_no_agents_available: 'The customer was told that no agents are logged in.',
    'problem:chat-not-waiting': 'Another agent took this chat.',
    'problem:chat-closed': 'The customer has left this chat.',
    'problem:chat-not-assigned': 'Pick the chat up before writing.',
    'problem:not-a-queue-member': "You are not a member of this chat's queue.",
    'problem:last-administrator': 'There must always be at least one active administrator.',
    'problem:username-taken': 'That username is taken.',
    'problem:name-taken': 'That name is taken.',
    'problem:no-queues': 'The agent is not a member of any queue.',
    'problem:concurrent-change': 'Someone else changed this at the same moment. Try again.',
    'problem:rate-limited': 'Too many requests. Wait a moment and try again.',
    'problem:unavailable': 'The service is briefly unavailable. Try again in a moment.',
    live: 'Live',
    reconnecting: 'Reconnecting …',
    failed: 'Something went wrong: {detail}',
    agents: 'Agents',
    agentLoggedIn: 'logged in',
    agentLoggedOut: 'logged out',
    agentUnknown: 'status unknown',
    logAgentIn: 'Log {name} in to {queue}',
    logAgentOut: 'Log {name} out of {queue}',
    logIn: 'Log in',
    logOut: 'Log out',
    users: 'Users',
    queues: 'Queues',
    membership: 'Membership',
    categories: 'Categories',
    formFields: 'Pre-chat form fields',
    displayName: 'Display name',
    role: 'Role',
    role_agent: 'Agent',
    role_supervisor: 'Supervisor',
    role_administrator: 'Administrator',
    maxChats: 'Max concurrent chats',
    active: 'Active',
    inactive: 'Deactivated',
    activate: 'Activate',
    deactivate: 'Deactivate',
    create: 'Create',
    user: 'User',
    addMember: 'Add to queue',
    removeMember: 'Remove from queue',
    key: 'Key',
    label: 'Label',
    kind: 'Kind',
    kind_text: 'Text',
    kind_email: 'E-mail',
    kind_phone: 'Phone',
    kind_select: 'Select list',
    required: 'Required',
    options: 'Options (comma-separated)',
    maxLength: 'Max length',
    remove: 'Remove',
    saved: 'Saved.',
    yes: 'Yes',
    no: 'No',
    tabHistory: 'History',
    historyTitle: 'Today\'s chats',
    historyEmpty: 'No chats today yet.',
    statusLabel: 'Status',
    messagesCount: 'Messages',
    audit: 'Audit',
    auditOf: 'Audit and replay the chat with {name}',
    auditTitle: 'Audit: {name}',
    auditTrail: 'Events',
    eventType: 'Event',
    who: 'Who',
    requestId: 'Request id',
    actorRouting: 'Automatic routing',
    replay: 'Replay',
    replayPick: 'Choose a moment in the chat',
    replayHere: 'Show the chat as it was here',
    replayAt: 'The chat as it stood at {time}, after {type}',
    replayNoMessages: 'No messages yet at this moment.',
    asOf: 'As of',
    loading: 'Loading …',
    close: 'Close',
    todayChart: 'Today',
    chartQueue: 'Queue in the chart',
    allQueues: 'All queues',
    chartEmpty: 'No chats in the queues today yet.',
    chartLabel: 'Offered and abandoned chats per quarter hour, and the service level, today',
    chartTip: '{time}: {offered} offered, {abandoned} abandoned, service level {sl}',
    offered: 'Offered',
    abandoned: 'Abandoned',
    serviceLevel: 'Service level',
  },
};

const LANGUAGE_KEY = 'samtale.language';

function initialLanguage() {
  const saved = localStorage.getItem(LANGUAGE_KEY);
  if (saved in STRINGS) return saved;
  return /^(nb|nn|no)\b/i.test(navigator.language) ? 'nb' : 'en';
}

export let language = initialLanguage();

export const languages = { nb: 'Norsk', en: 'English' };

export function setLanguage(lang) {
  language = lang;
  localStorage.setItem(LANGUAGE_KEY, lang);
}

export function t(key, vars = {}) {
  const text = STRINGS[language][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? '');
}

/**
 * What to tell the user about a failed request: the problem's own words when its `type` is one
 * the console knows (stable slugs, never the server's English), otherwise the detail.
 */
export function problemText(error) {
  const slug = error.problem?.type?.split('/').pop();
  const key = `problem:${slug}`;
  if (slug && (STRINGS[language][key] ?? STRINGS.en[key])) return t(key);
  return t('failed', { detail: error.message });
}

/** Translates the static markup under `root`. */
export function translate(root = document) {
  document.documentElement.lang = language;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
    el.title = t(el.dataset.i18nLabel);
  }
}

const locale = () => (language === 'nb' ? 'nb-NO' : 'en-GB');

export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return new Intl.DateTimeFormat(locale(), sameDay
    ? { hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(date);
}

/** A local clock time, HH:MM (or HH:MM:SS). */
export function formatClock(date, seconds = false) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return '–';
  return new Intl.DateTimeFormat(locale(), {
    hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}),
  }).format(date);
}

/** How long ago `iso` was, as "45 s", "3 min", "1 t 5 min". */
export function formatSince(iso) {
  if (!iso) return '–';
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hour = language === 'nb' ? 't' : 'h';
  return `${Math.floor(minutes / 60)} ${hour} ${minutes % 60} min`;
}

/** Keeps every "how long ago" figure under `root` (marked `data-since`) ticking. */
export function tickSince(root) {
  for (const el of root.querySelectorAll('[data-since]')) {
    el.textContent = formatSince(el.dataset.since || null);
  }
}
