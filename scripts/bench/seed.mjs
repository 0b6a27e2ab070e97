// What each scenario needs before its clock starts. The app is seeded through its own API (codes
// read from the mock SMS outbox); the baselines get the same rows written by their raw driver.
import { createHmac, randomInt, randomUUID, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { JWT, OTP, SESSION_MAX_AGE_MS } from './config.mjs';
import { SQL, openDb } from './db.mjs';
import { phoneAt } from './phones.mjs';

const require = createRequire(import.meta.url);
const jwt = createRequire(require.resolve('@nestjs/jwt'))('jsonwebtoken');

async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: globalThis.AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Phone (E.164) → the newest code the mock provider wrote to the outbox for it. */
export function readOutbox(file) {
  const codes = new Map();
  if (!existsSync(file)) return codes;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const { to, body } = JSON.parse(line);
    const code = /\b(\d{4,10})\b/.exec(body)?.[1];
    if (code) codes.set(to, code);
  }
  return codes;
}

/** A signed-in user of the app, the way a client gets one: send-otp, the SMS, verify-otp. */
export async function signInThroughApi(baseUrl, outbox, phone) {
  const sent = await postJson(`${baseUrl}/api/auth/send-otp/`, { phone_number: phone });
  if (sent.status !== 200) throw new Error(`seeding: send-otp answered ${sent.status} ${JSON.stringify(sent.body)}`);
  const code = readOutbox(outbox).get(phone);
  if (!code) throw new Error(`seeding: no SMS for ${phone} in ${outbox}`);
  const verified = await postJson(`${baseUrl}/api/auth/verify-otp/`, { phone_number: phone, otp_code: code });
  if (verified.status !== 200) {
    throw new Error(`seeding: verify-otp answered ${verified.status} ${JSON.stringify(verified.body)}`);
  }
  return { access: verified.body.tokens.access, userId: verified.body.user.id };
}

/**
 * `count` live codes issued by the app's own send-otp (at full speed, by the load generator) to
 * fresh numbers starting at phone index `phoneStart`, read back from the outbox: [[phone, code], …].
 */
export async function issueCodesThroughApi({ baseUrl, outbox, phoneStart, count, connections, loader }) {
  const result = await loader.run({
    url: baseUrl,
    method: 'POST',
    path: '/api/auth/send-otp/',
    headers: { 'content-type': 'application/json' },
    connections,
    mode: 'send',
    amount: count,
    phoneStart,
    phoneCount: count,
  });
  if (result.non2xx || result.errors) {
    throw new Error(
      `seeding: issuing ${count} codes got ${JSON.stringify(result.statusCodes)}, ${result.errors} errors`,
    );
  }
  const codes = readOutbox(outbox);
  const pairs = [];
  for (let i = 0; i < count; i++) {
    const phone = phoneAt(phoneStart + i);
    const code = codes.get(phone);
    if (code) pairs.push([phone, code]);
  }
  if (pairs.length < count)
    throw new Error(`seeding: only ${pairs.length} of ${count} issued codes reached the outbox`);
  return pairs;
}

function signAccess({ userId, sessionId, refreshJti, now }) {
  const accessJti = createHash('sha256').update(`access:${refreshJti}`).digest('hex').slice(0, 32);
  return jwt.sign({ typ: 'access', sid: sessionId, iat: Math.floor(now / 1000) }, JWT.secret, {
    algorithm: 'HS256',
    issuer: JWT.issuer,
    audience: JWT.audience,
    subject: String(userId),
    jwtid: accessJti,
    expiresIn: JWT.accessTtlSeconds,
  });
}

/** The rows verify-otp would have written for `phone`, and the access token it would have returned. */
export async function seedBaselineUser(databaseUrl, phone) {
  const db = openDb(databaseUrl, { poolSize: 1 });
  try {
    const now = Date.now();
    const userId = await db.insert(SQL.userInsert, [phone, phone, '', '', true, true, now, now]);
    const session = { sessionId: randomUUID(), refreshJti: randomUUID() };
    await db.run(SQL.sessionInsert, [
      session.sessionId,
      userId,
      session.refreshJti,
      null,
      now,
      now,
      now,
      now + SESSION_MAX_AGE_MS,
      null,
      null,
      'bench',
      '127.0.0.1',
    ]);
    return { access: signAccess({ userId, ...session, now }), userId };
  } finally {
    await db.close();
  }
}

/** The rows send-otp would have written for phones `phoneStart…+count`, with their codes. */
export async function seedBaselineCodes(databaseUrl, phoneStart, count) {
  const db = openDb(databaseUrl, { poolSize: 1 });
  try {
    const now = Date.now();
    const pairs = [];
    const rows = [];
    for (let i = 0; i < count; i++) {
      const phone = phoneAt(phoneStart + i);
      const code = randomInt(0, 10 ** OTP.codeLength)
        .toString()
        .padStart(OTP.codeLength, '0');
      const hash = createHmac('sha256', OTP.secret).update(`${phone}:${code}`).digest('hex');
      pairs.push([phone, code]);
      rows.push([phone, hash, 0, now, now + OTP.ttlMs, null, null]);
    }
    await db.insertMany(SQL.codeInsert, rows);
    return pairs;
  } finally {
    await db.close();
  }
}
