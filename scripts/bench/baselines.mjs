#!/usr/bin/env node
// The hand-written baselines, one per process (BASELINE=b1|b3|b4|b5, PORT, DATABASE_URL):
//   B1  bare Fastify answering GET /api/auth/profile/ with a static USER object
//   B3  Fastify + raw driver profile: verify the JWT (HS256, issuer, audience, typ) and read the
//       user by primary key (BASELINE_SESSION_CHECK=1 reads it with the app's session join instead)
//   B4  Fastify + raw driver verify-otp: the app's statements, HMAC check and two signed JWTs
//   B5  Fastify + raw driver send-otp: phone check, the app's two statements, HMAC of a new code
// What they leave out on purpose (the app's own cost): Nest, TypeORM, class-validator, passport,
// the throttler and OTP rate limits, helmet headers, metrics, request logging, problem details.
import { Buffer } from 'node:buffer';
import { createHash, createHmac, createSecretKey, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { JWT, OTP, SESSION_MAX_AGE_MS } from './config.mjs';
import { SQL, openDb, toUserResponse } from './db.mjs';

// The very copies the app loads: Fastify through the Nest adapter, jsonwebtoken through @nestjs/jwt.
const require = createRequire(import.meta.url);
const fastify = createRequire(require.resolve('@nestjs/platform-fastify'))('fastify');
const jwt = createRequire(require.resolve('@nestjs/jwt'))('jsonwebtoken');

// A KeyObject made once: given a string, jsonwebtoken first tries to parse it as a PEM key on
// every call and pays for the exception (~0.4 ms of CPU per sign or verify on the bench machine).
const jwtKey = createSecretKey(Buffer.from(JWT.secret));

const kind = process.env.BASELINE;
const port = Number(process.env.PORT);
const app = fastify({ logger: false });
const db = kind === 'b1' ? null : openDb(process.env.DATABASE_URL ?? '');

const problem = (reply, status, code) => reply.code(status).send({ status, code });

app.get('/health', () => ({ status: 'ok' }));

if (kind === 'b1') {
  const user = {
    id: 1,
    phone_number: '+12015550123',
    username: '+12015550123',
    first_name: '',
    last_name: '',
    is_phone_verified: true,
    date_joined: '2026-07-08T12:34:56Z',
  };
  app.get('/api/auth/profile/', () => ({ user }));
}

if (kind === 'b3') {
  const sessionCheck = process.env.BASELINE_SESSION_CHECK === '1';
  const verifyOptions = { algorithms: ['HS256'], issuer: JWT.issuer, audience: JWT.audience };
  app.get('/api/auth/profile/', async (request, reply) => {
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    let claims;
    try {
      claims = token && jwt.verify(token, jwtKey, verifyOptions);
    } catch {
      claims = undefined;
    }
    if (!claims || claims.typ !== 'access' || !/^[1-9]\d*$/.test(claims.sub))
      return problem(reply, 401, 'unauthorized');
    const userId = Number(claims.sub);
    const row = sessionCheck
      ? await db.one(SQL.sessionUser, [claims.sid, userId, Date.now()])
      : await db.one(SQL.userById, [userId]);
    return row ? { user: toUserResponse(row) } : problem(reply, 401, 'unauthorized');
  });
}

const hashCode = (phone, code) => createHmac('sha256', OTP.secret).update(`${phone}:${code}`).digest('hex');

function normalize(input, forSending) {
  const phone = /^\+[0-9 ().-]+$/.test(input.trim()) ? parsePhoneNumberFromString(input.trim()) : undefined;
  if (!phone?.isValid()) return undefined;
  if (forSending && !['MOBILE', 'FIXED_LINE_OR_MOBILE'].includes(phone.getType())) return undefined;
  return phone.number;
}

if (kind === 'b4') {
  const schema = {
    body: {
      type: 'object',
      required: ['phone_number', 'otp_code'],
      additionalProperties: false,
      properties: {
        phone_number: { type: 'string', minLength: 1, maxLength: 32 },
        otp_code: { type: 'string', pattern: `^[0-9]{${OTP.codeLength}}$` },
      },
    },
  };
  app.post('/api/auth/verify-otp/', { schema }, async (request, reply) => {
    const phone = normalize(request.body.phone_number, false);
    if (!phone) return problem(reply, 400, 'invalid_phone_number');
    const now = Date.now();
    const counted = await db.one(SQL.codeCountAttempt, [phone, now, OTP.maxAttempts]);
    if (!counted) return problem(reply, 400, 'otp_invalid');
    const given = Buffer.from(hashCode(phone, request.body.otp_code), 'hex');
    if (!timingSafeEqual(Buffer.from(counted.code_hash, 'hex'), given)) return problem(reply, 400, 'otp_invalid');

    const user = await db.one(SQL.userUpsert, [phone, phone, now]);
    const isNewUser = user.last_login === null;
    const session = { id: randomUUID(), refreshJti: randomUUID() };
    await db.run(SQL.sessionStart, [
      session.id,
      Number(user.id),
      session.refreshJti,
      now,
      now,
      now,
      now + SESSION_MAX_AGE_MS,
      request.headers['user-agent']?.slice(0, 512) ?? null,
      request.ip,
    ]);
    if (!(await db.run(SQL.codeConsume, [now, counted.id]))) return problem(reply, 400, 'otp_invalid');
    await db.run(SQL.userSignedIn, [now, user.id]);
    const iat = Math.floor(now / 1000);
    const sign = (typ, jwtid, expiresIn) =>
      jwt.sign({ typ, sid: session.id, iat }, jwtKey, {
        algorithm: 'HS256',
        issuer: JWT.issuer,
        audience: JWT.audience,
        subject: String(user.id),
        jwtid,
        expiresIn,
      });
    const accessJti = createHash('sha256').update(`access:${session.refreshJti}`).digest('hex').slice(0, 32);
    return {
      message: 'Authentication successful',
      user: toUserResponse(user),
      tokens: {
        access: sign('access', accessJti, JWT.accessTtlSeconds),
        refresh: sign('refresh', session.refreshJti, JWT.refreshTtlSeconds),
      },
      is_new_user: isNewUser,
    };
  });
}

if (kind === 'b5') {
  const schema = {
    body: {
      type: 'object',
      required: ['phone_number'],
      additionalProperties: false,
      properties: { phone_number: { type: 'string', minLength: 1, maxLength: 32 }, locale: { type: 'string' } },
    },
  };
  const ttlSeconds = Math.ceil(OTP.ttlMs / 1000);
  // The mock provider's work at LOG_LEVEL=warn with no outbox: the text is rendered, nothing is sent.
  const deliver = (_to, _body) => undefined;
  app.post('/api/auth/send-otp/', { schema }, async (request, reply) => {
    const phone = normalize(request.body.phone_number, true);
    if (!phone) return problem(reply, 400, 'invalid_phone_number');
    const code = randomInt(0, 10 ** OTP.codeLength)
      .toString()
      .padStart(OTP.codeLength, '0');
    const now = Date.now();
    const { id } = await db.one(SQL.codeIssue, [phone, hashCode(phone, code), now, now + OTP.ttlMs]);
    await db.run(SQL.codeRetireOlder, [now, phone, id]);
    deliver(phone, `Your Phone OTP Auth code is ${code}. It expires in ${ttlSeconds / 60} minutes.`);
    return {
      message: 'OTP sent successfully',
      phone_number: phone,
      expires_in_minutes: Number((ttlSeconds / 60).toFixed(2)),
      expires_in_seconds: ttlSeconds,
    };
  });
}

if (!['b1', 'b3', 'b4', 'b5'].includes(kind)) {
  console.error(`BASELINE must be b1, b3, b4 or b5, not "${kind}"`);
  process.exit(2);
}

const shutdown = () => {
  app
    .close()
    .then(() => db?.close())
    .finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

await app.listen({ port, host: '127.0.0.1' });
