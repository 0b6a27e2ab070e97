// The admin console: fetch() against the admin API of the same origin, Chart.js (served beside
// this file as a UMD global) for the charts, and nothing else. The admin token lives in this tab's
// sessionStorage and goes out only as an Authorization header, never in a URL, where history,
// logs and Referer headers would keep it.

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'otp-auth-admin-token';
const AUDIT_TYPES = [
  'code_sent',
  'code_send_refused',
  'code_verified',
  'code_failed',
  'code_burned',
  'sign_in',
  'refresh_reused',
  'logout',
  'session_revoked',
  'admin_user_updated',
  'admin_user_deleted',
  'admin_sessions_revoked',
];
const RANGES = { '24h': 24 * 3600e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3, '90d': 90 * 86400e3 };
const COLORS = {
  sent: '#2557d6',
  verified: '#12805c',
  failed: '#c2410c',
  palette: ['#2557d6', '#c2410c', '#12805c', '#7c3aed', '#b42318', '#0e7490', '#a16207', '#be185d', '#4b5563'],
};

// ---- The API ---------------------------------------------------------------------------------

/** An RFC 9457 problem document the API answered with, or a failure of the browser's own. */
class Problem extends Error {
  constructor({ title, detail = '', code = '', status = 0, errors = [] }) {
    super(detail || title);
    Object.assign(this, { title, detail, code, status, errors });
  }
}

const token = () => sessionStorage.getItem(TOKEN_KEY);

/** `path` with the non-empty `params` as its query string. */
function withQuery(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== '' && value != null));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** One admin API call; the answer's JSON, or a Problem. */
async function call(method, path, body, bearer = token()) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${bearer}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!res.ok) {
    const problem = new Problem({ status: res.status, title: res.statusText, ...(await res.json().catch(() => ({}))) });
    // A token removed from ADMIN_API_TOKENS (rotation): back to the sign-in form.
    if (res.status === 401 && bearer === token()) signOut();
    throw problem;
  }
  return res.status === 204 ? null : res.json();
}

const get = (path, params) => call('GET', withQuery(path, params));

// ---- Formatting ----------------------------------------------------------------------------------

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const utcHour = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});
const utcDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const count = new Intl.NumberFormat();
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

const when = (iso) => (iso ? dateTime.format(new Date(iso)) : '—');
const ratio = (value) => (value == null ? '—' : percent.format(value));

function seconds(value) {
  if (value == null) return '—';
  if (value < 60) return `${Math.round(value * 10) / 10} s`;
  const minutes = Math.floor(value / 60);
  return `${minutes} min ${Math.round(value - minutes * 60)} s`;
}

function money(value, currency) {
  if (value == null) return '—';
  // Fractions of a cent matter for a handful of texts, not for a month's bill.
  const digits = value >= 1 ? 2 : 4;
  return new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: digits }).format(value);
}

/** What a user's account allows now, as a word and a badge style. */
function userState(user) {
  if (!user.is_active) return ['deactivated', 'off'];
  if (user.banned_until && Date.parse(user.banned_until) > Date.now())
    return [`banned until ${when(user.banned_until)}`, 'bad'];
  return ['active', 'ok'];
}

/** An event's particulars other than its time, type and actor, as one line. */
function eventDetails(event) {
  const parts = [
    event.reason && `reason ${event.reason}`,
    event.purpose,
    event.channel,
    event.country,
    event.is_new_user === true && 'new user',
    event.elapsed_ms != null && `after ${seconds(event.elapsed_ms / 1000)}`,
    event.session_id && `session ${event.session_id.slice(0, 8)}`,
    event.ip && `ip ${event.ip}`,
    event.detail && `“${event.detail}”`,
  ];
  return parts.filter(Boolean).join(' · ');
}

// ---- DOM helpers (text goes in as text, never as HTML) ---------------------------------------------

function element(tag, text = '', className = '') {
  const node = document.createElement(tag);
  if (text !== '') node.textContent = text;
  if (className) node.className = className;
  return node;
}

function link(href, text) {
  const a = element('a', text);
  a.href = href;
  return a;
}

function badge(text, kind) {
  return element('span', text, `badge ${kind}`);
}

/** A table row of cells: strings, nodes, or [content, className]. */
function row(...cells) {
  const tr = element('tr');
  for (const cell of cells) {
    const [content, className] = Array.isArray(cell) ? cell : [cell, ''];
    const td = element('td', '', className);
    td.append(content ?? '');
    tr.append(td);
  }
  return tr;
}

function emptyRow(columns, text) {
  const td = element('td', text, 'empty');
  td.colSpan = columns;
  const tr = element('tr');
  tr.append(td);
  return tr;
}

function setStatus(text) {
  $('status').textContent = text;
}

function showProblem(error) {
  const problem =
    error instanceof Problem ? error : new Problem({ title: 'Something went wrong', detail: String(error.message) });
  const box = $('problem');
  box.replaceChildren(element('strong', problem.title));
  if (problem.detail) box.append(element('p', problem.detail));
  for (const { field, message } of problem.errors ?? []) box.append(element('p', `${field}: ${message}`));
  if (problem.code) {
    const code = element('p', 'code: ');
    code.append(element('code', problem.code));
    if (problem.status) code.append(` · HTTP ${problem.status}`);
    box.append(code);
  }
  box.hidden = false;
  setStatus('');
}

// ---- Confirmation dialog ---------------------------------------------------------------------------

/**
 * Asks before an action; resolves with the dialog's fields when confirmed, null when cancelled.
 * `reason`: 'required' | 'optional' | undefined; `until`: show a date-time field with this default.
 */
function confirmAction({ title, text, action, reason, until }) {
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = action;
  $('confirm-reason-field').hidden = !reason;
  $('confirm-reason').required = reason === 'required';
  $('confirm-reason').value = '';
  $('confirm-until-field').hidden = !until;
  $('confirm-until').required = Boolean(until);
  $('confirm-until').value = until ?? '';
  return new Promise((resolve) => {
    const finish = (value) => {
      $('confirm-form').removeEventListener('submit', onSubmit);
      $('confirm-cancel').removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      dialog.close();
      resolve(value);
    };
    const onSubmit = (e) => {
      e.preventDefault();
      const untilValue = $('confirm-until').value;
      finish({
        reason: $('confirm-reason').value.trim(),
        until: untilValue ? new Date(untilValue).toISOString() : null,
      });
    };
    const onCancel = (e) => {
      e.preventDefault();
      finish(null);
    };
    $('confirm-form').addEventListener('submit', onSubmit);
    $('confirm-cancel').addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    (reason ? $('confirm-reason') : $('confirm-cancel')).focus();
  });
}

/** A datetime-local value (local time, minutes) `ms` from now. */
function localInput(ms) {
  const at = new Date(Date.now() + ms);
  at.setMinutes(at.getMinutes() - at.getTimezoneOffset(), 0, 0);
  return at.toISOString().slice(0, 16);
}

// ---- Dashboard ---------------------------------------------------------------------------------------

const charts = {};

/** Draws (or redraws) one chart on its canvas. */
function drawChart(id, config) {
  charts[id]?.destroy();
  const reduced = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  config.options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: reduced ? false : undefined,
    ...config.options,
  };
  charts[id] = new window.Chart($(id), config);
}

async function showDashboard() {
  const form = $('range-form');
  const to = new Date();
  const from = new Date(to.getTime() - RANGES[form.range.value]);
  const stats = await get('/api/admin/analytics/', {
    from: from.toISOString(),
    to: to.toISOString(),
    bucket: form.bucket.value,
    country: form.country.value.trim().toUpperCase(),
  });
  $('range-text').textContent =
    `${when(stats.from)} – ${when(stats.to)}, by ${stats.bucket}` +
    (form.country.value ? `, ${form.country.value.toUpperCase()} only` : '');
  showTotals(stats.totals, stats.currency);
  drawSeries(stats);
  drawCountries(stats.by_country);
  drawRefusals(stats.refused_by_reason);
  showCountryTable(stats.by_country, stats.currency);
}

function showTotals(totals, currency) {
  const card = (label, value, note = '') => {
    const node = element('div', '', 'stat');
    node.append(element('span', label, 'label'), element('strong', value, 'value'));
    if (note) node.append(element('span', note, 'note'));
    return node;
  };
  $('totals').replaceChildren(
    card('Codes sent', count.format(totals.sent), `${count.format(totals.refused)} refused`),
    card('Verified', count.format(totals.verified), `${count.format(totals.failed)} failed guesses`),
    card('Conversion', ratio(totals.conversion), 'verified ÷ sent'),
    card('Median time to verify', seconds(totals.median_verify_seconds)),
    card('New / returning users', `${count.format(totals.new_users)} / ${count.format(totals.returning_users)}`),
    card('SMS spend', money(totals.sms_spend, currency), totals.sms_spend == null ? 'SMS_PRICES not set' : 'estimate'),
  );
}

function drawSeries({ series, bucket }) {
  const label = bucket === 'hour' ? utcHour : utcDay;
  const line = (name, key, color) => ({
    label: name,
    data: series.map((point) => point[key]),
    borderColor: color,
    backgroundColor: `${color}22`,
    fill: key === 'sent',
    cubicInterpolationMode: 'monotone',
    pointRadius: series.length > 48 ? 0 : 3,
  });
  drawChart('chart-series', {
    type: 'line',
    data: {
      labels: series.map((point) => label.format(new Date(point.start))),
      datasets: [
        line('Sent', 'sent', COLORS.sent),
        line('Verified', 'verified', COLORS.verified),
        line('Failed', 'failed', COLORS.failed),
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 14 } } },
      plugins: { legend: { position: 'bottom', labels: { usePointStyle: true, pointStyle: 'circle' } } },
    },
  });
}

function drawCountries(byCountry) {
  const rows = byCountry.filter((entry) => entry.sent > 0).slice(0, 12);
  drawChart('chart-countries', {
    type: 'bar',
    data: {
      labels: rows.map((entry) => entry.country ?? 'unknown'),
      datasets: [
        {
          label: 'Conversion (%)',
          data: rows.map((entry) => Math.round((entry.conversion ?? 0) * 1000) / 10),
          backgroundColor: COLORS.verified,
          borderRadius: 4,
        },
      ],
    },
    options: {
      scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (value) => `${value}%` } } },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            afterLabel: (item) =>
              `${count.format(rows[item.dataIndex].verified)} of ${count.format(rows[item.dataIndex].sent)} verified`,
          },
        },
      },
    },
  });
}

function drawRefusals(byReason) {
  const entries = Object.entries(byReason).sort(([, a], [, b]) => b - a);
  $('refusals-empty').hidden = entries.length > 0;
  drawChart('chart-refusals', {
    type: 'doughnut',
    data: {
      labels: entries.map(([reason]) => reason),
      datasets: [{ label: 'Refused sends', data: entries.map(([, n]) => n), backgroundColor: COLORS.palette }],
    },
    options: {
      plugins: {
        legend: {
          display: entries.length > 0,
          position: 'right',
          labels: { usePointStyle: true, pointStyle: 'circle' },
        },
      },
    },
  });
}

function showCountryTable(byCountry, currency) {
  const rows = byCountry.map((entry) =>
    row(
      entry.country ?? 'unknown',
      [count.format(entry.sent), 'num'],
      [count.format(entry.verified), 'num'],
      [count.format(entry.failed), 'num'],
      [count.format(entry.refused), 'num'],
      [ratio(entry.conversion), 'num'],
      [seconds(entry.median_verify_seconds), 'num'],
      [money(entry.sms_spend, currency), 'num'],
    ),
  );
  $('countries-table').tBodies[0].replaceChildren(
    ...(rows.length ? rows : [emptyRow(8, 'No codes sent in this range.')]),
  );
}

// ---- Users -----------------------------------------------------------------------------------------

let usersCursor = null;

async function showUsers(more = false) {
  const form = $('users-form');
  const day = (value, end) => (value ? new Date(`${value}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : '');
  const page = await get('/api/admin/users/', {
    phone_prefix: form.phone_prefix.value.replace(/[\s()-]/g, ''),
    active: form.active.value,
    created_after: day(form.created_after.value, false),
    created_before: day(form.created_before.value, true),
    cursor: more ? usersCursor : '',
  });
  usersCursor = page.next_cursor;
  const rows = page.users.map((user) => {
    const [state, kind] = userState(user);
    return row(
      [String(user.id), 'num'],
      link(`#/users/${user.id}`, user.phone_masked),
      [`${user.first_name} ${user.last_name}`.trim() || '—', user.first_name || user.last_name ? '' : 'muted'],
      badge(state, kind),
      when(user.date_joined),
      when(user.last_login),
    );
  });
  const body = $('users-table').tBodies[0];
  if (more) body.append(...rows);
  else body.replaceChildren(...(rows.length ? rows : [emptyRow(6, 'No user matches.')]));
  $('users-more').hidden = !usersCursor;
}

// ---- One user -----------------------------------------------------------------------------------------

let shownUser = null;

async function showUser(id) {
  const { user, sessions, events } = await get(`/api/admin/users/${encodeURIComponent(id)}/`);
  shownUser = user;
  const [state, kind] = userState(user);
  $('user-title').replaceChildren(`User ${user.id} · ${user.phone_masked} `, badge(state, kind));
  const banned = user.banned_until && Date.parse(user.banned_until) > Date.now();
  const visible = {
    deactivate: user.is_active,
    reactivate: !user.is_active,
    ban: !banned,
    unban: Boolean(banned),
    'revoke-all': sessions.some((session) => session.live),
    delete: true,
  };
  for (const button of $('user-actions').querySelectorAll('button')) button.hidden = !visible[button.dataset.action];
  const field = (term, value) => [element('dt', term), element('dd', value)];
  $('profile').replaceChildren(
    ...field('Phone', user.phone_masked),
    ...field('Phone hash', `${user.phone_hash.slice(0, 16)}…`),
    ...field('Name', `${user.first_name} ${user.last_name}`.trim() || '—'),
    ...field('Phone verified', user.is_phone_verified ? 'yes' : 'no'),
    ...field('Active', user.is_active ? 'yes' : 'no'),
    ...field('Banned until', user.banned_until ? when(user.banned_until) : '—'),
    ...field('Reason', user.disabled_reason ?? '—'),
    ...field('Joined', when(user.date_joined)),
    ...field('Last sign-in', when(user.last_login)),
  );
  const sessionRows = sessions.map((session) => {
    const revoke = element('button', 'Revoke…', 'secondary small');
    Object.assign(revoke, { type: 'button', hidden: !session.live });
    revoke.dataset.session = session.id;
    const state = session.live
      ? badge('live', 'ok')
      : badge(session.revoked_at ? `revoked (${session.revoked_reason ?? 'unknown'})` : 'expired', 'off');
    return row(
      when(session.created_at),
      when(session.last_used_at),
      when(session.expires_at),
      [session.user_agent ?? '—', 'truncate'],
      session.ip ?? '—',
      state,
      revoke,
    );
  });
  $('sessions-table').tBodies[0].replaceChildren(...(sessionRows.length ? sessionRows : [emptyRow(7, 'No sessions.')]));
  const eventRows = events.map((event) =>
    row(when(event.created_at), badge(event.type, 'type'), event.actor ?? '—', eventDetails(event)),
  );
  $('user-events-table').tBodies[0].replaceChildren(...(eventRows.length ? eventRows : [emptyRow(4, 'No events.')]));
}

const USER_ACTIONS = {
  deactivate: {
    ask: (user) => ({
      title: `Deactivate user ${user.id}?`,
      text: 'Their tokens stop working on the next request and they cannot sign in until reactivated.',
      action: 'Deactivate',
      reason: 'required',
    }),
    run: (user, { reason }) => call('PATCH', `/api/admin/users/${user.id}/`, { is_active: false, reason }),
    done: 'deactivated',
  },
  reactivate: {
    ask: (user) => ({
      title: `Reactivate user ${user.id}?`,
      text: 'They can sign in again.',
      action: 'Reactivate',
      reason: 'optional',
    }),
    run: (user, { reason }) =>
      call('PATCH', `/api/admin/users/${user.id}/`, { is_active: true, ...(reason && { reason }) }),
    done: 'reactivated',
  },
  ban: {
    ask: (user) => ({
      title: `Ban user ${user.id}?`,
      text: 'Their tokens stop working on the next request and sign-in is refused until the ban ends.',
      action: 'Ban',
      reason: 'required',
      until: localInput(7 * 86400e3),
    }),
    run: (user, { reason, until }) => call('PATCH', `/api/admin/users/${user.id}/`, { banned_until: until, reason }),
    done: 'banned',
  },
  unban: {
    ask: (user) => ({
      title: `Lift the ban on user ${user.id}?`,
      text: 'They can sign in again.',
      action: 'Lift ban',
      reason: 'optional',
    }),
    run: (user, { reason }) =>
      call('PATCH', `/api/admin/users/${user.id}/`, { banned_until: null, ...(reason && { reason }) }),
    done: 'unbanned',
  },
  'revoke-all': {
    ask: (user) => ({
      title: `Revoke every session of user ${user.id}?`,
      text: 'Every device they are signed in on is signed out; they can sign in again.',
      action: 'Revoke all',
    }),
    run: (user) => call('DELETE', `/api/admin/users/${user.id}/sessions/`),
    done: 'signed out everywhere',
  },
  delete: {
    ask: (user) => ({
      title: `Delete user ${user.id}?`,
      text: 'This erases the account, its sessions and codes for good. The audit trail keeps its events.',
      action: 'Delete',
    }),
    run: (user) => call('DELETE', `/api/admin/users/${user.id}/`),
    done: 'deleted',
  },
};

async function userAction(name) {
  const user = shownUser;
  const action = USER_ACTIONS[name];
  const answer = await confirmAction(action.ask(user));
  if (!answer) return;
  await action.run(user, answer);
  if (name === 'delete') {
    location.hash = '#/users';
  } else {
    await showUser(user.id);
  }
  setStatus(`User ${user.id} ${action.done}.`);
}

async function revokeSession(sessionId) {
  const user = shownUser;
  const answer = await confirmAction({
    title: 'Revoke this session?',
    text: `The device holding session ${sessionId.slice(0, 8)}… is signed out.`,
    action: 'Revoke',
  });
  if (!answer) return;
  await call('DELETE', `/api/admin/users/${user.id}/sessions/${sessionId}/`);
  await showUser(user.id);
  setStatus('Session revoked.');
}

// ---- Audit events ---------------------------------------------------------------------------------------

let auditCursor = null;

function auditFilters() {
  const form = $('audit-form');
  const at = (value) => (value ? new Date(value).toISOString() : '');
  return {
    type: form.type.value,
    user_id: form.user_id.value,
    after: at(form.after.value),
    before: at(form.before.value),
  };
}

async function showAudit(more = false) {
  const page = await get('/api/admin/audit-events/', { ...auditFilters(), cursor: more ? auditCursor : '' });
  auditCursor = page.next_cursor;
  const rows = page.events.map((event) =>
    row(
      when(event.created_at),
      badge(event.type, 'type'),
      event.actor ?? '—',
      event.user_id == null ? '—' : link(`#/users/${event.user_id}`, String(event.user_id)),
      event.phone_masked ?? '—',
      eventDetails(event),
    ),
  );
  const body = $('audit-table').tBodies[0];
  if (more) body.append(...rows);
  else body.replaceChildren(...(rows.length ? rows : [emptyRow(6, 'No events match.')]));
  $('audit-more').hidden = !auditCursor;
}

/** The export needs the token header too, so it is fetched here and saved from a Blob URL. */
async function exportAudit() {
  const res = await fetch(withQuery('/api/admin/audit-events/export/', auditFilters()), {
    headers: { Authorization: `Bearer ${token()}` },
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!res.ok)
    throw new Problem({ status: res.status, title: res.statusText, ...(await res.json().catch(() => ({}))) });
  const url = URL.createObjectURL(await res.blob());
  const a = link(url, '');
  a.download = `audit-events-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.ndjson`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  setStatus('Export downloaded.');
}

// ---- Navigation ----------------------------------------------------------------------------------------

const VIEWS = ['sign-in-view', 'dashboard-view', 'users-view', 'user-view', 'audit-view'];

function showView(id) {
  for (const view of VIEWS) $(view).hidden = view !== id;
  const signedIn = id !== 'sign-in-view';
  $('nav').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  const section = id === 'user-view' ? 'users' : id.replace('-view', '');
  for (const a of $('nav').querySelectorAll('a')) a.classList.toggle('current', a.dataset.view === section);
}

/** Shows what the location's hash names: #/dashboard, #/users, #/users/ID, #/audit. */
let routing = 0;
async function route() {
  if (!token()) {
    showView('sign-in-view');
    $('token').focus();
    return;
  }
  // Only the latest navigation shows its view, whichever answer comes back last.
  const current = ++routing;
  const show = (id) => current === routing && showView(id);
  const [, view, id] = location.hash.split('/');
  if (view === 'users' && id) {
    await showUser(id);
    show('user-view');
  } else if (view === 'users') {
    await showUsers();
    show('users-view');
  } else if (view === 'audit') {
    await showAudit();
    show('audit-view');
  } else {
    show('dashboard-view');
    await showDashboard();
  }
}

async function signIn() {
  const candidate = $('token').value.trim();
  // Any admin route tells whether the token is one of ADMIN_API_TOKENS; the cheapest is one user.
  await call('GET', '/api/admin/users/?limit=1', undefined, candidate);
  sessionStorage.setItem(TOKEN_KEY, candidate);
  $('token').value = '';
  if (!location.hash.startsWith('#/')) history.replaceState(null, '', '#/dashboard');
  await route();
  setStatus('Signed in.');
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  for (const chart of Object.values(charts)) chart.destroy();
  for (const table of document.querySelectorAll('tbody')) table.replaceChildren();
  shownUser = null;
  showView('sign-in-view');
}

/** Runs an action and shows its problem, if any; `exclusive` ones wait for no other (double clicks). */
let busy = false;
async function run(action, exclusive = true) {
  if (exclusive && busy) return;
  if (exclusive) busy = true;
  $('problem').hidden = true;
  try {
    await action();
  } catch (error) {
    showProblem(error);
  } finally {
    if (exclusive) busy = false;
  }
}

// Listeners, not inline handlers: the console's Content-Security-Policy forbids those.
const on = (id, event, action) =>
  $(id).addEventListener(event, (e) => {
    e.preventDefault();
    void run(action);
  });
on('sign-in-form', 'submit', signIn);
on('range-form', 'submit', showDashboard);
on('users-form', 'submit', () => showUsers());
on('users-more', 'click', () => showUsers(true));
on('audit-form', 'submit', () => showAudit());
on('audit-more', 'click', () => showAudit(true));
on('audit-export', 'click', exportAudit);
$('sign-out').addEventListener('click', () => {
  signOut();
  setStatus('Signed out.');
});
$('user-actions').addEventListener('click', (e) => {
  const button = e.target.closest('button[data-action]');
  if (button) void run(() => userAction(button.dataset.action));
});
$('sessions-table').addEventListener('click', (e) => {
  const button = e.target.closest('button[data-session]');
  if (button) void run(() => revokeSession(button.dataset.session));
});
window.addEventListener('hashchange', () => {
  setStatus('');
  void run(route, false);
});

$('audit-type').append(...AUDIT_TYPES.map((type) => Object.assign(element('option', type), { value: type })));
window.Chart.defaults.color = getComputedStyle(document.body).color;
window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
void run(route);
