#!/usr/bin/env node
// The original service's demo_otp.py, against a running server: send a code to a test phone, read
// it from the mock SMS outbox (or ask for it), verify it, and fetch the profile with the token.
//
//   npm run demo                      BASE_URL=http://localhost:3000, phone +12015550123
//   BASE_URL=http://host:3000 DEMO_PHONE=+447911123456 npm run demo
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';

const BASE_URL = (process.env.BASE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const PHONE = process.env.DEMO_PHONE ?? '+12015550123';
const OUTBOX = process.env.SMS_MOCK_OUTBOX ?? 'data/sms-outbox.jsonl';

const step = (n, text) => console.log(`\n${n}. ${text}`);
const show = (value) => console.log(JSON.stringify(value, null, 2).replace(/^/gm, '   '));

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
  return { status: response.status, body: payload };
}

function fail(message) {
  console.error(`\n✗ ${message}`);
  process.exit(1);
}

function expectOk({ status, body }, what) {
  if (status !== 200) {
    show(body);
    fail(`${what} answered ${status}${body?.code ? ` (${body.code})` : ''}.`);
  }
  return body;
}

async function sendCode() {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const reply = await call('POST', '/api/auth/send-otp/', { phone_number: PHONE });
    if (reply.body?.code !== 'sms_delivery_failed') return expectOk(reply, 'send-otp');
    console.log('   The mock SMS provider simulated a delivery failure (SMS_MOCK_FAILURE_RATE); asking again.');
  }
  fail('send-otp failed three times in a row.');
}

/** The newest code the mock provider wrote to the outbox for `phone` (E.164) after `since`. */
async function readCode(phone, since) {
  for (let tries = 0; tries < 20; tries++) {
    if (existsSync(OUTBOX)) {
      const lines = readFileSync(OUTBOX, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      const sms = lines.reverse().find((m) => m.to === phone && Date.parse(m.sent_at) >= since);
      const code = sms && /\b(\d{4,10})\b/.exec(sms.body)?.[1];
      if (code) {
        console.log(`   Read from ${OUTBOX}: "${sms.body}"`);
        return code;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!process.stdin.isTTY) fail(`No message for ${PHONE} in ${OUTBOX}; set SMS_MOCK_OUTBOX or run interactively.`);
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const code = (await prompt.question(`   No outbox at ${OUTBOX}. Enter the code sent to ${PHONE}: `)).trim();
  prompt.close();
  return code;
}

console.log(`Phone OTP Auth demo against ${BASE_URL}`);

step(1, `Ask for a one-time code for ${PHONE} (POST /api/auth/send-otp/)`);
const since = Date.now() - 1000;
const sendReply = await sendCode();
show(sendReply);

step(2, 'Read the code the SMS carried');
const code = await readCode(sendReply.phone_number, since);

step(3, 'Redeem the code for tokens (POST /api/auth/verify-otp/)');
const verified = expectOk(
  await call('POST', '/api/auth/verify-otp/', { phone_number: PHONE, otp_code: code }),
  'verify-otp',
);
show({
  ...verified,
  tokens: { access: `${verified.tokens.access.slice(0, 24)}…`, refresh: `${verified.tokens.refresh.slice(0, 24)}…` },
});
console.log(
  `   ${verified.is_new_user ? 'A new account was created.' : 'Welcome back: the existing account was found.'}`,
);

step(4, 'Use the access token on a protected route (GET /api/auth/profile/)');
show(expectOk(await call('GET', '/api/auth/profile/', undefined, verified.tokens.access), 'profile'));

console.log('\n✓ Signed in with nothing but a phone number.');
