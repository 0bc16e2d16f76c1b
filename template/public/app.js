// The browser side of the app: posthog-js, a small client for the server's
// JSON API, and the page. Plain modern JavaScript, no build step.
//
// posthog-js is what ties the two sides together. Its `tracing_headers` option
// adds X-POSTHOG-DISTINCT-ID and X-POSTHOG-SESSION-ID to this page's own API
// calls; the server reads them, so its events land on the same person and in
// the same session (and session replay) as the browser's.

const SESSION_TOKEN_KEY = 'api-token';
const PAGE_SIZE = 50;
const $ = (selector) => document.querySelector(selector);

const posthog = await startPostHog();

/**
 * Starts posthog-js with the project token the server was given, or returns
 * null when it has no token: then the page works without analytics.
 */
async function startPostHog() {
  let config = {};
  try {
    config = await (await fetch('/posthog-config.json')).json();
  } catch {
    // No config: the page still works, without analytics.
  }
  if (!config.token) return null;

  let posthog;
  try {
    // Served from the project's own node_modules, so nothing is loaded from a CDN.
    ({ default: posthog } = await import('/vendor/posthog-js/module.full.js'));
  } catch (error) {
    console.warn('posthog-js did not load; the page works without analytics.', error);
    return null;
  }
  posthog.init(config.token, {
    // The server's relay to PostHog, on this page's own origin: blockers that
    // drop requests to PostHog's domains let these through, and the page's
    // Content-Security-Policy can allow connections to 'self' only.
    api_host: config.apiHost,
    // Links into PostHog's app (the toolbar) still go to PostHog itself.
    ui_host: config.uiHost,
    defaults: '2026-01-30',
    // Only this page's own host gets the headers: never send them to third parties.
    tracing_headers: [window.location.hostname],
    // One request per event, so `npm run posthog:inspect` shows each click at once.
    request_batching: false,
  });
  // Like PostHog's snippet: `posthog` in the browser console.
  window.posthog = posthog;
  return posthog;
}

// --- API ---------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Calls the JSON API with the session's bearer token; throws ApiError on an error status. */
async function api(method, path, body) {
  const headers = {};
  const token = sessionStorage.getItem(SESSION_TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  // The global fetch on purpose: posthog-js has wrapped it to add the tracing headers.
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data?.error ?? `${res.status} ${res.statusText}`);
  return data;
}

// --- Identity ----------------------------------------------------------------

/** After signup or login: keep the API token and tell posthog-js who this is. */
function startSession({ user, token }) {
  sessionStorage.setItem(SESSION_TOKEN_KEY, token);
  // The same id the server gave $identify, so the browser's anonymous history,
  // the server's events and this browser's later events are one person.
  posthog?.identify(user.id, { email: user.email, name: user.name });
  return showTodos(user);
}

/** Forgets the token here, after a logout or once the server no longer takes it. */
function endSession() {
  sessionStorage.removeItem(SESSION_TOKEN_KEY);
  // A new anonymous id and session, so the next person on this browser starts fresh.
  posthog?.reset();
  showAuth();
}

/** The server ends the session first (the token stops working everywhere), then the page does. */
async function logOut() {
  try {
    await api('POST', '/api/auth/logout');
  } catch (error) {
    // An expired token has no session left to end.
    if (error.status !== 401) throw error;
  } finally {
    endSession();
  }
}

// --- Page --------------------------------------------------------------------

function showError(error) {
  const box = $('#error');
  box.textContent = error ? error.message : '';
  box.hidden = !error;
}

function showStatus() {
  const footer = $('#posthog-status');
  if (!posthog) {
    footer.textContent = 'PostHog is off: set POSTHOG_PROJECT_TOKEN for the server to send events.';
    return;
  }
  const distinctId = posthog.get_distinct_id();
  const sessionId = posthog.get_session_id();
  footer.dataset.distinctId = distinctId;
  footer.dataset.sessionId = sessionId;
  footer.replaceChildren(
    'PostHog is on. Distinct id ', code(distinctId), ', session ', code(sessionId),
    ': the server sees both with every API call.',
  );
}

function code(text) {
  const element = document.createElement('code');
  element.textContent = text;
  return element;
}

function showAuth() {
  $('#todos').hidden = true;
  $('#auth').hidden = false;
  showError(null);
  showStatus();
}

async function showTodos(user) {
  $('#auth').hidden = true;
  $('#todos').hidden = false;
  $('#user-name').textContent = user.name || user.email;
  $('#stats').textContent = '';
  showError(null);
  showStatus();
  await showFirstPage();
}

// --- Todos, a page at a time ---------------------------------------------------
// GET /api/todos answers a page (oldest first) and a cursor for the next one.
// The list shows the pages loaded so far; "Show more", or scrolling down to
// it, loads the next. The cursor stays right while todos are added and deleted.

const list = { cursor: null, loading: null, generation: 0, addedAtEnd: false };

/** Starts the list over from the first page (after login, or for another user). */
function showFirstPage() {
  list.generation += 1;
  list.cursor = null;
  list.loading = null;
  list.addedAtEnd = false;
  $('#todo-list').replaceChildren();
  return loadNextPage({ first: true });
}

/** Appends the next page; a call while one is loading waits for that one. */
function loadNextPage({ first = false } = {}) {
  if (!first && (list.loading || list.cursor === null)) return list.loading;
  const generation = list.generation;
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (list.cursor !== null) query.set('cursor', list.cursor);
  list.loading = (async () => {
    try {
      const { todos, nextCursor } = await api('GET', `/api/todos?${query}`);
      // Another user's list (or a fresh one) has replaced this one meanwhile.
      if (generation !== list.generation) return;
      $('#todo-list').append(...todos.map(todoItem));
      list.cursor = nextCursor;
    } finally {
      if (generation === list.generation) list.loading = null;
      showListState();
    }
  })();
  return list.loading;
}

function showListState() {
  const more = list.cursor !== null;
  $('#more').hidden = !more;
  $('#more').textContent = more && list.addedAtEnd ? 'Show more (new todos are at the end)' : 'Show more';
  $('#empty').hidden = more || $('#todo-list').children.length > 0;
  // Observed anew, so that a button still in view after a page loads the next one too.
  scrolledToMore.disconnect();
  if (more && !list.loading) scrolledToMore.observe($('#more'));
}

// Scrolling down to "Show more" loads the next page, as clicking it does.
const scrolledToMore = new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting)) run(() => loadNextPage());
});

function todoItem(todo) {
  const item = document.createElement('li');
  item.dataset.id = todo.id;
  item.classList.toggle('done', todo.completed);

  const checkbox = document.createElement('input');
  checkbox.type = 'checkbox';
  checkbox.checked = todo.completed;
  checkbox.setAttribute('aria-label', `Done: ${todo.title}`);
  checkbox.addEventListener('change', () => run(async () => {
    const { todo: updated } = await api('PATCH', `/api/todos/${todo.id}`, { completed: checkbox.checked });
    item.replaceWith(todoItem(updated));
  }));

  const title = document.createElement('span');
  title.className = 'title';
  title.textContent = todo.title;
  title.title = 'Double-click to rename';
  title.addEventListener('dblclick', () => rename(item, todo));

  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'delete';
  remove.textContent = '×';
  remove.setAttribute('aria-label', `Delete ${todo.title}`);
  remove.addEventListener('click', () => run(async () => {
    await api('DELETE', `/api/todos/${todo.id}`);
    item.remove();
    showListState();
  }));

  item.append(checkbox, title, remove);
  return item;
}

function rename(item, todo) {
  const input = document.createElement('input');
  input.className = 'title';
  input.value = todo.title;
  input.maxLength = 500;
  let done = false;
  const finish = (save) => run(async () => {
    if (done) return;
    done = true;
    const title = input.value.trim();
    const changed = save && title && title !== todo.title;
    const updated = changed ? (await api('PATCH', `/api/todos/${todo.id}`, { title })).todo : todo;
    item.replaceWith(todoItem(updated));
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') finish(true);
    if (event.key === 'Escape') finish(false);
  });
  input.addEventListener('blur', () => finish(true));
  item.querySelector('.title').replaceWith(input);
  input.focus();
}

/** Runs a UI action: shows its error, and sends the user back to log in when the token has expired. */
async function run(action) {
  showError(null);
  try {
    await action();
  } catch (error) {
    if (error.status === 401 && sessionStorage.getItem(SESSION_TOKEN_KEY)) {
      endSession();
    }
    showError(error);
  } finally {
    showStatus();
  }
}

function selectTab(name) {
  for (const tab of ['signup', 'login']) {
    $(`#${tab}-tab`).setAttribute('aria-selected', String(tab === name));
    $(`#${tab}-form`).hidden = tab !== name;
  }
  showError(null);
}

function fields(form) {
  return Object.fromEntries(new FormData(form));
}

$('#signup-tab').addEventListener('click', () => selectTab('signup'));
$('#login-tab').addEventListener('click', () => selectTab('login'));

$('#signup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const { email, password, name } = fields(event.target);
  run(async () => startSession(await api('POST', '/api/auth/signup', { email, password, name: name || undefined })));
});

$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const { email, password } = fields(event.target);
  run(async () => startSession(await api('POST', '/api/auth/login', { email, password })));
});

$('#todo-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target;
  run(async () => {
    const { todo } = await api('POST', '/api/todos', { title: fields(form).title });
    form.reset();
    // The newest todo comes last of all: shown now when the list has every
    // page (the one on its way may hold it already), else with the last page.
    await list.loading;
    const shown = [...$('#todo-list').children].some((item) => item.dataset.id === todo.id);
    if (list.cursor === null && !shown) $('#todo-list').append(todoItem(todo));
    list.addedAtEnd = list.cursor !== null;
    showListState();
  });

$('#more').addEventListener('click', () => run(() => loadNextPage()));
});

$('#stats-button').addEventListener('click', () => run(async () => {
  const stats = await api('GET', '/api/stats');
  const detail = stats.todos ? ' (detailed analytics is on for you)' : '';
  $('#stats').textContent = `${stats.total} todos: ${stats.completed} done, ${stats.open} open${detail}`;
}));

$('#logout').addEventListener('click', () => run(logOut));

// A token from earlier in this tab: pick up where the user left off.
if (sessionStorage.getItem(SESSION_TOKEN_KEY)) {
  run(async () => {
    const { user } = await api('GET', '/api/me');
    posthog?.identify(user.id);
    await showTodos(user);
  });
} else {
  showAuth();
}
