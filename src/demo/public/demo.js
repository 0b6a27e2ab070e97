// The whole client of the demo page: fetch() against the public API and the browser's WebAuthn API.
// Tokens live in this module's memory only, not in localStorage where they would outlive the tab:
// reloading the page signs out.

const $ = (id) => document.getElementById(id);

/** @type {{ access: string, refresh: string } | null} */
let tokens = null;
let phoneNumber = '';
let mfaToken = '';

// ---- The API ---------------------------------------------------------------------------------

/** An RFC 9457 problem document the API answered with (title, detail, code), or a browser failure. */
class Problem extends Error {
  constructor({ title, detail = '', code = '', status = 0, errors = [] }) {
    super(detail || title);
    Object.assign(this, { title, detail, code, status, errors });
  }
}

async function request(method, path, body, access) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (access) headers.Authorization = `Bearer ${access}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.status === 204 ? null : await res.json().catch(() => ({}));
  if (!res.ok) throw new Problem({ status: res.status, title: res.statusText, ...data });
  return data;
}

/** A public route. */
const post = (path, body = {}) => request('POST', path, body);

/** A route that needs the access token; an expired one is refreshed once (refresh tokens rotate). */
async function authed(method, path, body) {
  try {
    return await request(method, path, body, tokens.access);
  } catch (error) {
    if (error.code !== 'unauthorized') throw error;
    tokens = await post('/api/auth/token/refresh/', { refresh: tokens.refresh });
    return request(method, path, body, tokens.access);
  }
}

// ---- WebAuthn JSON <-> the browser's ArrayBuffers ----------------------------------------------

function toBase64url(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)).buffer;
}

const withBinaryIds = (credentials) =>
  credentials?.map((credential) => ({ ...credential, id: fromBase64url(credential.id) }));

/** The server's PublicKeyCredentialCreationOptionsJSON as navigator.credentials.create() takes it. */
function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: withBinaryIds(json.excludeCredentials),
  };
}

/** The server's PublicKeyCredentialRequestOptionsJSON as navigator.credentials.get() takes it. */
function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: fromBase64url(json.challenge), allowCredentials: withBinaryIds(json.allowCredentials) };
}

/** A new or used credential as RegistrationResponseJSON / AuthenticationResponseJSON. */
function credentialJSON(credential) {
  if (typeof credential.toJSON === 'function') return credential.toJSON();
  const { response } = credential;
  const json = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toBase64url(response.clientDataJSON) },
  };
  if (credential.authenticatorAttachment) json.authenticatorAttachment = credential.authenticatorAttachment;
  if (response.attestationObject) {
    json.response.attestationObject = toBase64url(response.attestationObject);
    json.response.transports = response.getTransports?.() ?? [];
  } else {
    json.response.authenticatorData = toBase64url(response.authenticatorData);
    json.response.signature = toBase64url(response.signature);
    if (response.userHandle) json.response.userHandle = toBase64url(response.userHandle);
  }
  return json;
}

// ---- The flows ---------------------------------------------------------------------------------

async function sendCode() {
  const sent = await post('/api/auth/send-otp/', { phone_number: $('phone').value.trim() });
  phoneNumber = sent.phone_number;
  $('code-form').hidden = false;
  $('code').focus();
  setStatus(`Code sent to ${phoneNumber}.`);
}

async function verifyCode() {
  const answer = await post('/api/auth/verify-otp/', { phone_number: phoneNumber, otp_code: $('code').value.trim() });
  if (!answer.mfa_required) return signedIn(answer.tokens, 'Signed in with an SMS code.');
  // The account has a second factor: no session yet, only a short-lived mfa_token to finish with.
  mfaToken = answer.mfa_token;
  $('code-form').hidden = true;
  $('totp-form').hidden = false;
  $('mfa-passkey').hidden = !answer.factors.includes('passkey');
  $('totp').focus();
  setStatus('This account has a second factor.');
}

async function verifyTotp() {
  const answer = await post('/api/auth/mfa/challenge/', { mfa_token: mfaToken, totp_code: $('totp').value.trim() });
  await signedIn(answer.tokens, 'Signed in with an SMS code and an authenticator app.');
}

async function mfaWithPasskey() {
  const options = await post('/api/auth/mfa/challenge/passkey/options/', { mfa_token: mfaToken });
  const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
  const answer = await post('/api/auth/mfa/challenge/', { mfa_token: mfaToken, passkey: credentialJSON(credential) });
  await signedIn(answer.tokens, 'Signed in with an SMS code and a passkey.');
}

async function signInWithPasskey() {
  // No phone number: the authenticator offers the passkeys it holds for this site (discoverable).
  const options = await post('/api/auth/passkeys/login/options/');
  const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
  const answer = await post('/api/auth/passkeys/login/verify/', { response: credentialJSON(credential) });
  await signedIn(answer.tokens, 'Signed in with a passkey.');
}

async function registerPasskey() {
  const options = await authed('POST', '/api/auth/passkeys/register/options/', {});
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  const name = $('passkey-name').value.trim();
  const passkey = await authed('POST', '/api/auth/passkeys/register/verify/', {
    name,
    response: credentialJSON(credential),
  });
  await showPasskeys();
  setStatus(`Passkey “${passkey.name}” registered.`);
}

async function deletePasskey(button) {
  await authed('DELETE', `/api/auth/passkeys/${button.dataset.id}/`);
  await showPasskeys();
  setStatus(`Passkey “${button.dataset.name}” deleted.`);
}

async function signOut() {
  try {
    await post('/api/auth/logout/', { refresh: tokens.refresh });
  } finally {
    tokens = null;
    showSignedOut();
  }
  setStatus('Signed out.');
}

// ---- Rendering ---------------------------------------------------------------------------------

async function signedIn(newTokens, message) {
  tokens = newTokens;
  mfaToken = '';
  const { user } = await authed('GET', '/api/auth/profile/');
  const name = [user.first_name, user.last_name].join(' ').trim();
  $('profile').replaceChildren(
    ...field('Phone number', user.phone_number),
    ...field('Name', name || '(none)'),
    ...field('User id', String(user.id)),
    ...field('Joined', new Date(user.date_joined).toLocaleString()),
  );
  await showPasskeys();
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  setStatus(message);
}

function showSignedOut() {
  for (const id of ['code-form', 'totp-form', 'signed-in']) $(id).hidden = true;
  for (const id of ['code', 'totp']) $(id).value = '';
  $('signed-out').hidden = false;
}

async function showPasskeys() {
  const { passkeys } = await authed('GET', '/api/auth/passkeys/');
  const items = passkeys.map((passkey) => {
    const used = passkey.last_used_at ? `last used ${new Date(passkey.last_used_at).toLocaleString()}` : 'never used';
    const text = element('span', `${passkey.name} · added ${new Date(passkey.created_at).toLocaleString()} · ${used}`);
    const button = element('button', 'Delete');
    Object.assign(button, { type: 'button', className: 'secondary' });
    Object.assign(button.dataset, { id: passkey.id, name: passkey.name });
    button.setAttribute('aria-label', `Delete ${passkey.name}`);
    const item = element('li');
    item.append(text, button);
    return item;
  });
  $('passkeys').replaceChildren(...(items.length ? items : [element('li', 'No passkeys yet.')]));
}

function element(tag, text = '') {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

const field = (term, value) => [element('dt', term), element('dd', value)];

function setStatus(text) {
  $('status').textContent = text;
}

/** Problems as their title, detail and code; every text goes in as text, never as HTML. */
function showProblem(error) {
  const problem =
    error instanceof Problem
      ? error
      : // WebAuthn refusals are DOMExceptions: NotAllowedError when cancelled or timed out.
        new Problem({ title: 'The browser refused', detail: error.message, code: error.name ?? 'Error' });
  const box = $('problem');
  box.replaceChildren(element('strong', problem.title), element('p', problem.detail));
  for (const { field: name, message } of problem.errors ?? []) {
    if (message !== problem.detail) box.append(element('p', `${name}: ${message}`));
  }
  if (problem.code) {
    const code = element('p', `code: `);
    code.append(element('code', problem.code));
    if (problem.status) code.append(` · HTTP ${problem.status}`);
    box.append(code);
  }
  box.hidden = false;
  setStatus('');
}

/** Runs one action at a time and shows its problem, if any. */
async function run(action) {
  const buttons = [...document.querySelectorAll('button')];
  $('problem').hidden = true;
  buttons.forEach((button) => (button.disabled = true));
  try {
    await action();
  } catch (error) {
    showProblem(error);
  } finally {
    buttons.forEach((button) => (button.disabled = false));
  }
}

// Listeners, not inline handlers: the app's Content-Security-Policy forbids those.
const on = (id, event, action) =>
  $(id).addEventListener(event, (e) => {
    e.preventDefault();
    void run(action);
  });
on('phone-form', 'submit', sendCode);
on('code-form', 'submit', verifyCode);
on('totp-form', 'submit', verifyTotp);
on('mfa-passkey', 'click', mfaWithPasskey);
on('passkey-sign-in', 'click', signInWithPasskey);
on('register-form', 'submit', registerPasskey);
on('sign-out', 'click', signOut);
$('passkeys').addEventListener('click', (e) => {
  const button = e.target.closest('button[data-id]');
  if (button) void run(() => deletePasskey(button));
});

showSignedOut();
if (!window.PublicKeyCredential) {
  showProblem(new Problem({ title: 'No passkeys here', detail: 'This browser does not support WebAuthn.' }));
}
