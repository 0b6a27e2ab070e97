#!/usr/bin/env node
// The original service's demo_otp.py, against a running server: send a code to a test phone, read
// it from the mock SMS outbox (or ask for it), verify it, and fetch the profile with the token.
// Optionally it then moves the account to another number, adds an authenticator app as a second
// factor, and deletes the account: see USAGE below.
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Secret, TOTP } from 'otpauth';

const USAGE = `Usage: npm run demo [-- options]

  npm run demo                      BASE_URL=http://localhost:3000, phone +12015550123
  BASE_URL=http://host:3000 DEMO_PHONE=+447911123456 npm run demo
  npm run demo -- --change-phone +12015550199 --delete-account
  npm run demo -- --mfa

After signing in:
  --change-phone [NUMBER]  re-authenticate, move the account to NUMBER (default +12015550199),
                           read the notice the old number got, and try the old access token
  --mfa                    enrol an authenticator app (TOTP; the demo computes its codes), sign out
                           and in again to meet the second-factor challenge, answer it with a code
                           from the app, and show the account's second factors
  --delete-account         delete the account with a code texted to its number, then show that
                           its token answers 401
  -h, --help               this text

Codes are read from SMS_MOCK_OUTBOX (default data/sms-outbox.jsonl), where the mock SMS provider
writes them. A number gets one code per OTP_RESEND_COOLDOWN (60s), whatever the code is for, so
the extra steps wait that long; a server started with OTP_RESEND_COOLDOWN=0s makes them not wait.

After --mfa every sign-in of the number asks for the second factor: a later run asks you for a
code from the app (its secret is in the output) or a recovery code. Add --delete-account, or set
another DEMO_PHONE, to leave no such account behind.`;

const BASE_URL = (process.env.BASE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const PHONE = process.env.DEMO_PHONE ?? '+12015550123';
const OUTBOX = process.env.SMS_MOCK_OUTBOX ?? 'data/sms-outbox.jsonl';
const NEW_PHONE = '+12015550199';
/** RFC 6238 as the server checks it: SHA-1, 6 digits, 30-second steps; a code is accepted once per step. */
const TOTP_PERIOD_SECONDS = 30;

let steps = 0;
const step = (text) => console.log(`\n${++steps}. ${text}`);
const show = (value) => console.log(JSON.stringify(value, null, 2).replace(/^/gm, '   '));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const shortened = ({ access, refresh }) => ({ access: `${access.slice(0, 24)}…`, refresh: `${refresh.slice(0, 24)}…` });
const totpStep = (at) => Math.floor(at / 1000 / TOTP_PERIOD_SECONDS);
/** The code an authenticator app holding `secret` shows at `at` (ms). */
const totpCode = (secret, at) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_SECONDS }).generate({
    timestamp: at,
  });

function parseOptions(args) {
  const options = { changePhone: undefined, mfa: false, deleteAccount: false };
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = args[i].split(/=(.*)/s);
    if (flag === '--change-phone') {
      options.changePhone = value ?? (args[i + 1] && !args[i + 1].startsWith('-') ? args[++i] : NEW_PHONE);
    } else if (flag === '--mfa' && value === undefined) {
      options.mfa = true;
    } else if (flag === '--delete-account' && value === undefined) {
      options.deleteAccount = true;
    } else if ((flag === '--help' || flag === '-h') && value === undefined) {
      console.log(USAGE);
      process.exit(0);
    } else {
      fail(`Unknown option ${args[i]}.\n\n${USAGE}`);
    }
  }
  return options;
}

async function call(method, path, body, token) {
  let response;
  try {
    response = await fetch(`${BASE_URL}${path}`, {
      method,
      headers: {
        ...(body && { 'Content-Type': 'application/json' }),
        ...(token && { Authorization: `Bearer ${token}` }),
      },
      body: body && JSON.stringify(body),
    });
  } catch (error) {
    fail(`Cannot reach ${BASE_URL} (${error.cause?.code ?? error.message}). Start the server first: npm start`);
  }
  const payload = response.status === 204 ? null : await response.json();
  return { status: response.status, body: payload, retryAfter: Number(response.headers.get('retry-after')) };
}

function fail(message) {
  console.error(`\n✗ ${message}`);
  process.exit(1);
}

function expectOk({ status, body }, what, expected = 200) {
  if (status !== expected) {
    show(body);
    fail(`${what} answered ${status}${body?.code ? ` (${body.code})` : ''}.`);
  }
  return body;
}

/** POSTs a request for a code; again after a simulated delivery failure or once the resend cooldown ends. */
async function requestCode(what, path, body, token) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const reply = await call('POST', path, body, token);
    if (reply.body?.code === 'otp_resend_too_soon' && reply.retryAfter > 0) {
      console.log(`   The number's last code is under OTP_RESEND_COOLDOWN old; waiting ${reply.retryAfter}s.`);
      await sleep(reply.retryAfter * 1000);
    } else if (reply.body?.code === 'sms_delivery_failed') {
      console.log('   The mock SMS provider simulated a delivery failure (SMS_MOCK_FAILURE_RATE); asking again.');
    } else {
      return expectOk(reply, what);
    }
  }
  fail(`${what} failed three times in a row.`);
}

/** The newest message of `kind` the mock provider wrote to the outbox for `phone` (E.164) after `since`. */
function outboxMessage(kind, phone, since) {
  if (!existsSync(OUTBOX)) return undefined;
  return (
    readFileSync(OUTBOX, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .reverse()
      // Outboxes written before notices existed have no kind: every line there is a code.
      .find((m) => (m.kind ?? 'code') === kind && m.to === phone && Date.parse(m.sent_at) >= since)
  );
}

/** The code of the newest such message, or, without one, the code the user types in. */
async function readCode(phone, since) {
  for (let tries = 0; tries < 20; tries++) {
    const sms = outboxMessage('code', phone, since);
    const code = sms && /\b(\d{4,10})\b/.exec(sms.body)?.[1];
    if (code) {
      console.log(`   Read from ${OUTBOX}: "${sms.body}"`);
      return code;
    }
    await sleep(100);
  }
  if (!process.stdin.isTTY) fail(`No message for ${phone} in ${OUTBOX}; set SMS_MOCK_OUTBOX or run interactively.`);
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const code = (await prompt.question(`   No code in ${OUTBOX}. Enter the code sent to ${phone}: `)).trim();
  prompt.close();
  return code;
}

/** A second factor typed in, for an account that has one from an earlier run: the demo does not know its secret. */
async function typedSecondFactor(phone) {
  if (!process.stdin.isTTY) {
    fail(
      `${phone} has an authenticator app (an earlier --mfa run?). Run the demo interactively to type a code ` +
        'from it or a recovery code, or set another DEMO_PHONE.',
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const answer = (await prompt.question('   Enter a code from the authenticator app, or a recovery code: ')).trim();
  prompt.close();
  return /^\d{6}$/.test(answer) ? { totp_code: answer } : { recovery_code: answer };
}

const options = parseOptions(process.argv.slice(2));
console.log(`Phone OTP Auth demo against ${BASE_URL}`);

step(`Ask for a one-time code for ${PHONE} (POST /api/auth/send-otp/)`);
const since = Date.now() - 1000;
const sendReply = await requestCode('send-otp', '/api/auth/send-otp/', { phone_number: PHONE });
show(sendReply);

step('Read the code the SMS carried');
const code = await readCode(sendReply.phone_number, since);

step('Redeem the code for tokens (POST /api/auth/verify-otp/)');
let verified = expectOk(
  await call('POST', '/api/auth/verify-otp/', { phone_number: PHONE, otp_code: code }),
  'verify-otp',
);
const askedForSecondFactor = verified.mfa_required === true;
if (askedForSecondFactor) {
  show(verified);
  step('The account has a second factor: answer the challenge (POST /api/auth/mfa/challenge/)');
  const proof = await typedSecondFactor(sendReply.phone_number);
  verified = expectOk(
    await call('POST', '/api/auth/mfa/challenge/', { mfa_token: verified.mfa_token, ...proof }),
    'mfa/challenge',
  );
}
show({ ...verified, tokens: shortened(verified.tokens) });
console.log(
  `   ${verified.is_new_user ? 'A new account was created.' : 'Welcome back: the existing account was found.'}`,
);

step('Use the access token on a protected route (GET /api/auth/profile/)');
show(expectOk(await call('GET', '/api/auth/profile/', undefined, verified.tokens.access), 'profile'));

const done = [
  askedForSecondFactor
    ? 'Signed in with the phone number and the second factor'
    : 'Signed in with nothing but a phone number',
];
let phone = sendReply.phone_number;
let tokens = verified.tokens;

if (options.changePhone) {
  step(`Prove again that you hold ${phone} (POST /api/auth/reauthenticate/)`);
  const reauthSince = Date.now() - 1000;
  show(await requestCode('reauthenticate', '/api/auth/reauthenticate/', {}, tokens.access));
  const reauthCode = await readCode(phone, reauthSince);

  step('Redeem it (POST /api/auth/reauthenticate/verify/)');
  show(
    expectOk(
      await call('POST', '/api/auth/reauthenticate/verify/', { otp_code: reauthCode }, tokens.access),
      'reauthenticate/verify',
    ),
  );
  console.log('   This session may change the number or delete the account until REAUTH_MAX_AGE after that.');

  step(`Ask to move the account to ${options.changePhone} (POST /api/auth/phone/change/)`);
  const changeSince = Date.now() - 1000;
  const changeReply = await requestCode(
    'phone/change',
    '/api/auth/phone/change/',
    { new_phone_number: options.changePhone },
    tokens.access,
  );
  show(changeReply);
  const newPhone = changeReply.phone_number;
  const changeCode = await readCode(newPhone, changeSince);

  step('Redeem the code texted to the new number (POST /api/auth/phone/change/verify/)');
  const noticeSince = Date.now() - 1000;
  const changeVerify = await call(
    'POST',
    '/api/auth/phone/change/verify/',
    { new_phone_number: newPhone, otp_code: changeCode },
    tokens.access,
  );
  if (changeVerify.body?.code === 'phone_number_in_use') {
    show(changeVerify.body);
    fail(
      `${newPhone} belongs to another account (an earlier run moved one there?). Pass another number, ` +
        'or add --delete-account so that a run leaves the number free.',
    );
  }
  const changed = expectOk(changeVerify, 'phone/change/verify');
  show({ ...changed, tokens: shortened(changed.tokens) });

  step(`The notice texted to the old number, ${phone}`);
  const notice = outboxMessage('notice', phone, noticeSince);
  console.log(
    notice
      ? `   Read from ${OUTBOX}: "${notice.body}"`
      : `   No notice for ${phone} in ${OUTBOX}: notices are best effort, and a failed one\n` +
          '   (SMS_MOCK_FAILURE_RATE) is only logged.',
  );

  step('The old access token (GET /api/auth/profile/)');
  const before = await call('GET', '/api/auth/profile/', undefined, tokens.access);
  show(before.body);
  if (before.status === 200) {
    console.log(
      '   200: this session goes on, on the new number (PHONE_CHANGE_REVOKE=others ends only the other ones).\n' +
        '   Its old refresh token is spent: within REFRESH_REUSE_GRACE it gets only the new pair again, and\n' +
        '   after that it counts as replayed and ends the session, so the demo does not present it.',
    );
  } else {
    console.log(
      `   ${before.status}: PHONE_CHANGE_REVOKE=all ended this session, refresh token included; the new pair works.`,
    );
  }

  done.push(`moved the account to ${newPhone}`);
  phone = newPhone;
  tokens = changed.tokens;
}

if (options.mfa) {
  step('Start enrolling an authenticator app (POST /api/auth/mfa/totp/)');
  const enrolment = expectOk(await call('POST', '/api/auth/mfa/totp/', undefined, tokens.access), 'mfa/totp');
  show(enrolment);
  console.log(
    '   An app scans the URI as a QR code (or takes the secret typed in); this needs a recent sign-in\n' +
      '   (REAUTH_MAX_AGE). The demo plays the app and computes its codes from the secret.',
  );

  step("Confirm it with the app's current code (POST /api/auth/mfa/totp/verify/)");
  const activatedAt = Date.now();
  const activationCode = totpCode(enrolment.secret, activatedAt);
  console.log(`   The app shows ${activationCode}.`);
  const activated = expectOk(
    await call('POST', '/api/auth/mfa/totp/verify/', { code: activationCode }, tokens.access),
    'mfa/totp/verify',
  );
  show({ ...activated, recovery_codes: `${activated.recovery_codes.length} codes, not printed here` });
  console.log(
    `   ${activated.recovery_codes.length} recovery codes, shown only this once: each signs in once when the app is not at hand.`,
  );

  step('Sign out (POST /api/auth/logout/)');
  expectOk(await call('POST', '/api/auth/logout/', { refresh: tokens.refresh }), 'logout', 204);
  console.log('   204: this session has ended.');

  step(`Sign in again: ask for a code for ${phone} (POST /api/auth/send-otp/)`);
  const againSince = Date.now() - 1000;
  show(await requestCode('send-otp', '/api/auth/send-otp/', { phone_number: phone }));
  const againCode = await readCode(phone, againSince);

  step('Redeem it (POST /api/auth/verify-otp/)');
  const challenge = expectOk(
    await call('POST', '/api/auth/verify-otp/', { phone_number: phone, otp_code: againCode }),
    'verify-otp',
  );
  show(challenge);
  if (!challenge.mfa_required) fail('verify-otp signed in without asking for the second factor.');
  console.log('   No tokens and no session yet: the SMS code alone no longer signs this account in.');

  step("Answer the challenge with the app's code (POST /api/auth/mfa/challenge/)");
  const nextStepIn = (totpStep(activatedAt) + 1) * TOTP_PERIOD_SECONDS * 1000 - Date.now();
  if (nextStepIn > 0) {
    console.log(
      `   The app's current code confirmed the enrolment, and a code is accepted once per ${TOTP_PERIOD_SECONDS}s step;\n` +
        `   waiting ${Math.ceil(nextStepIn / 1000)}s for the next one.`,
    );
    await sleep(nextStepIn + 250);
  }
  const challengeCode = totpCode(enrolment.secret, Date.now());
  console.log(`   The app shows ${challengeCode}.`);
  const signedIn = expectOk(
    await call('POST', '/api/auth/mfa/challenge/', { mfa_token: challenge.mfa_token, totp_code: challengeCode }),
    'mfa/challenge',
  );
  show({ ...signedIn, tokens: shortened(signedIn.tokens) });

  step("The account's second factors (GET /api/auth/mfa/)");
  show(expectOk(await call('GET', '/api/auth/mfa/', undefined, signedIn.tokens.access), 'mfa'));

  done.push('signed in again with an authenticator app as the second factor');
  tokens = signedIn.tokens;
}

if (options.deleteAccount) {
  step(`Ask for an account-deletion code for ${phone} (POST /api/auth/account/deletion/)`);
  const deletionSince = Date.now() - 1000;
  show(await requestCode('account/deletion', '/api/auth/account/deletion/', {}, tokens.access));
  const deletionCode = await readCode(phone, deletionSince);

  step('Delete the account with it (DELETE /api/auth/account/)');
  expectOk(await call('DELETE', '/api/auth/account/', { otp_code: deletionCode }, tokens.access), 'delete', 204);
  console.log('   204: the user, its sessions and its codes are gone.');

  step('The access token after the deletion (GET /api/auth/profile/)');
  const after = await call('GET', '/api/auth/profile/', undefined, tokens.access);
  show(after.body);
  if (after.status !== 401) fail(`profile answered ${after.status} after the deletion instead of 401.`);
  console.log(`   401: no token of the account works any more; ${phone} would sign up as a new user.`);

  done.push('deleted it');
}

const last = done.length > 2 ? ` and ${done.pop()}` : '';
console.log(`\n✓ ${done.join(', ')}${last}.`);
