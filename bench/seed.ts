// What each scenario needs before its clock starts. The app and the peer are seeded through their
// own APIs (codes read from the mock SMS outbox, or the peer's); the baselines get the same rows as
// the app, written through TypeORM's repositories with the app's entities.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { generateCode, hashCode } from '../src/otp/otp-code';
import { OtpCode } from '../src/otp/otp-code.entity';
import { accessJtiOf } from '../src/sessions/token.service';
import { User } from '../src/users/user.entity';
import { APP_API, type AuthApi } from './apis';
import { JWT, OTP, SESSION_MAX_AGE_MS } from './config';
import { appStatements, withDataSource } from './data-source';
import type { LoadGenerator } from './drive';
import { phoneAt } from './phones';

// The copy of jsonwebtoken the app signs with (through @nestjs/jwt).
const jwt = createRequire(require.resolve('@nestjs/jwt'))('jsonwebtoken') as typeof import('jsonwebtoken');

/** A phone (E.164) and a live code for it. */
export type CodePair = [phone: string, code: string];

async function postJson(url: string, body: unknown): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, body: await response.json().catch(() => null) };
}

/** Phone (E.164) → the newest code the mock provider (or the peer) wrote to the outbox for it. */
export function readOutbox(file: string): Map<string, string> {
  const codes = new Map<string, string>();
  if (!existsSync(file)) return codes;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const { kind, to, body } = JSON.parse(line) as { kind?: string; to: string; body: string };
    // Notices about an account carry no code (a line without `kind` is a code, as it always was).
    if (kind !== undefined && kind !== 'code') continue;
    const code = /\b(\d{4,10})\b/.exec(body)?.[1];
    if (code) codes.set(to, code);
  }
  return codes;
}

/** A server that speaks `api`, at `baseUrl`, whose codes land in `outbox`. */
export interface ApiServer {
  api: AuthApi;
  baseUrl: string;
  outbox: string;
}

/** send-otp for `phone`, and the code the SMS carried. */
export async function requestCode({ api, baseUrl, outbox }: ApiServer, phone: string): Promise<string> {
  const sent = await postJson(`${baseUrl}${api.paths.send}`, { [api.fields.phone]: phone });
  if (sent.status !== 200) throw new Error(`seeding: send-otp answered ${sent.status} ${JSON.stringify(sent.body)}`);
  const code = readOutbox(outbox).get(phone);
  if (!code) throw new Error(`seeding: no SMS for ${phone} in ${outbox}`);
  return code;
}

/** A signed-in user, the way a client gets one: send-otp, the SMS, verify-otp; returns its bearer token. */
export async function signInThroughApi(server: ApiServer, phone: string): Promise<string> {
  const { api, baseUrl } = server;
  const code = await requestCode(server, phone);
  const verified = await postJson(`${baseUrl}${api.paths.verify}`, {
    [api.fields.phone]: phone,
    [api.fields.code]: code,
  });
  const token = verified.status === 200 ? api.tokenOf(verified) : undefined;
  if (!token) throw new Error(`seeding: verify-otp answered ${verified.status} ${JSON.stringify(verified.body)}`);
  return token;
}

/**
 * Sends our send-otp from this client with fresh numbers until the app refuses it with 429
 * `rate_limited` (its per-IP limit); throws if that has not happened after `max` sends.
 */
export async function exceedIpLimit(baseUrl: string, phoneStart: number, max: number): Promise<number> {
  for (let i = 0; i < max; i++) {
    const sent = await postJson(`${baseUrl}${APP_API.paths.send}`, { phone_number: phoneAt(phoneStart + i) });
    if (sent.status === 429 && (sent.body as { code?: string } | null)?.code === 'rate_limited') return i;
    if (sent.status !== 200) throw new Error(`seeding: send-otp answered ${sent.status} ${JSON.stringify(sent.body)}`);
  }
  throw new Error(`seeding: ${max} sends from one client and still no 429; is the per-IP limit on?`);
}

/**
 * Trips the app's conversion breaker on one prefix: send-otp to the first `minSends` of its
 * `phones`, each answered 200 and none verified; then proves the trip by the prefix's last number
 * (never texted) being refused with 429 `rate_limited`. Throws if either does not happen.
 */
export async function tripPrefix(baseUrl: string, phones: string[], minSends: number): Promise<void> {
  if (phones.length <= minSends)
    throw new Error(`seeding: a prefix of ${phones.length} numbers cannot trip at ${minSends}`);
  for (const phone of phones.slice(0, minSends)) {
    const sent = await postJson(`${baseUrl}${APP_API.paths.send}`, { phone_number: phone });
    if (sent.status !== 200) throw new Error(`seeding: send-otp answered ${sent.status} ${JSON.stringify(sent.body)}`);
  }
  const probe = await postJson(`${baseUrl}${APP_API.paths.send}`, { phone_number: phones[phones.length - 1] });
  if (probe.status !== 429 || (probe.body as { code?: string } | null)?.code !== 'rate_limited') {
    throw new Error(
      `seeding: after ${minSends} unverified sends to its prefix, send-otp answered ${probe.status} ` +
        `${JSON.stringify(probe.body)}; did the conversion breaker trip?`,
    );
  }
}

export interface IssueOptions extends ApiServer {
  phoneStart: number;
  count: number;
  connections: number;
  loader: LoadGenerator;
}

/**
 * `count` live codes issued by the server's own send-otp (at full speed, by the load generator) to
 * fresh numbers starting at phone index `phoneStart`, read back from the outbox.
 */
export async function issueCodesThroughApi({
  api,
  baseUrl,
  outbox,
  phoneStart,
  count,
  connections,
  loader,
}: IssueOptions): Promise<CodePair[]> {
  const result = await loader.run({
    url: baseUrl,
    method: 'POST',
    path: api.paths.send,
    headers: { 'content-type': 'application/json' },
    connections,
    mode: 'send',
    fields: api.fields,
    check: api.checks.sent,
    amount: count,
    phoneStart,
    phoneCount: count,
  });
  if (result.non2xx || result.errors || result.wrongAnswers) {
    throw new Error(
      `seeding: issuing ${count} codes got ${JSON.stringify(result.statusCodes)}, ${result.errors} errors, ` +
        `wrong answers: ${result.wrongAnswerSamples.join('; ') || 'none'}`,
    );
  }
  const codes = readOutbox(outbox);
  const pairs: CodePair[] = [];
  for (let i = 0; i < count; i++) {
    const phone = phoneAt(phoneStart + i);
    const code = codes.get(phone);
    if (code) pairs.push([phone, code]);
  }
  if (pairs.length < count)
    throw new Error(`seeding: only ${pairs.length} of ${count} issued codes reached the outbox`);
  return pairs;
}

/** The access token verify-otp would return for this session (same key, claims and `jti`). */
function signAccess(userId: number, sessionId: string, refreshJti: string, now: number): string {
  return jwt.sign({ typ: 'access', sid: sessionId, iat: Math.floor(now / 1000) }, JWT.secret, {
    algorithm: 'HS256',
    issuer: JWT.issuer,
    audience: JWT.audience,
    subject: String(userId),
    jwtid: accessJtiOf(refreshJti),
    expiresIn: JWT.accessTtlSeconds,
  });
}

/** The rows verify-otp would have written for `phone`, and the access token it would have returned. */
export function seedBaselineUser(databaseUrl: string, phone: string): Promise<string> {
  return withDataSource(databaseUrl, async (dataSource) => {
    const now = new Date();
    const inserted = await dataSource.getRepository(User).insert({
      phoneNumber: phone,
      username: phone,
      firstName: '',
      lastName: '',
      isPhoneVerified: true,
      isActive: true,
      dateJoined: now,
      lastLogin: now,
    });
    const userId = Number((inserted.identifiers[0] as { id: number | string }).id);
    // The session through the app's own statement (the one verify-otp sends), so it follows the table.
    const session = { id: randomUUID(), refreshJti: randomUUID() };
    const { insert } = appStatements(dataSource).sessions;
    await dataSource.query(
      insert.text,
      insert.bind({
        ...session,
        userId,
        now: now.getTime(),
        expiresAt: now.getTime() + SESSION_MAX_AGE_MS,
        scope: 'full',
        userAgent: 'bench',
        ip: '127.0.0.1',
      }),
    );
    return signAccess(userId, session.id, session.refreshJti, now.getTime());
  });
}

/**
 * Rows per INSERT: 1,000 × 8 columns stays far below either driver's limit on parameters. The ids
 * are not read back (`updateEntity(false)`): on SQLite TypeORM would select them with one `OR`
 * per row, past SQLite's expression depth.
 */
const CODES_PER_INSERT = 1_000;

/** The rows send-otp would have written for phones `phoneStart…+count`, with their codes. */
export function seedBaselineCodes(databaseUrl: string, phoneStart: number, count: number): Promise<CodePair[]> {
  return withDataSource(databaseUrl, async (dataSource) => {
    const createdAt = new Date();
    const expiresAt = new Date(createdAt.getTime() + OTP.ttlMs);
    const pairs: CodePair[] = [];
    const rows: Partial<OtpCode>[] = [];
    for (let i = 0; i < count; i++) {
      const phone = phoneAt(phoneStart + i);
      const code = generateCode(OTP.codeLength);
      pairs.push([phone, code]);
      rows.push({
        phoneNumber: phone,
        codeHash: hashCode(OTP.secret, phone, code),
        attempts: 0,
        createdAt,
        expiresAt,
        consumedAt: null,
        invalidatedAt: null,
      });
    }
    await dataSource.transaction(async (manager) => {
      const codes = manager.getRepository(OtpCode);
      for (let offset = 0; offset < rows.length; offset += CODES_PER_INSERT) {
        const chunk = rows.slice(offset, offset + CODES_PER_INSERT);
        await codes.createQueryBuilder().insert().values(chunk).updateEntity(false).execute();
      }
    });
    return pairs;
  });
}
