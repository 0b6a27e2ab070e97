// The hand-written baselines, one per process (BASELINE=b1|b3|b4|b5, PORT, DATABASE_URL):
//   B1  bare Fastify answering GET /api/auth/profile/ with a static USER object
//   B3  Fastify + raw driver profile: verify the JWT (HS256, issuer, audience, typ) and read the
//       user by primary key (BASELINE_SESSION_CHECK=1 reads it with the app's session join instead)
//   B4  Fastify + raw driver verify-otp: the app's statements (its audit events too), HMAC check and
//       two signed JWTs
//   B5  Fastify + raw driver send-otp: phone check, HMAC of a new code, and the app's two
//       transactions: the code, then its delivery record and audit event
// They send the app's own statements (from its repositories, built once at boot) through the raw
// driver, and use its pure helpers (code HMAC, token ids, the USER object). What they leave out on
// purpose (the app's own cost): Nest, TypeORM, class-validator, passport, the throttler and OTP
// rate limits, helmet headers, metrics, request logging, problem details.
import { createSecretKey, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { query } from '../src/database/sql';
import { generateCode, hashCode, hashesMatch } from '../src/otp/otp-code';
import { accessJtiOf, isWellFormed, type TokenPayload } from '../src/sessions/token.service';
import { renderCodeMessage } from '../src/sms/code-message';
import { toUserResponse } from '../src/users/dto/user-response.dto';
import type { User } from '../src/users/user.entity';
import { APP_NAME, B1_PHONE, JWT, OTP, SESSION_MAX_AGE_MS } from './config';
import { appStatements, withDataSource, type AppStatements } from './data-source';
import { openRawDb, type RawDb } from './raw-db';

// The very copies the app loads: Fastify through the Nest adapter, jsonwebtoken through @nestjs/jwt.
const fastify = createRequire(require.resolve('@nestjs/platform-fastify'))('fastify') as typeof import('fastify');
const jwt = createRequire(require.resolve('@nestjs/jwt'))('jsonwebtoken') as typeof import('jsonwebtoken');

export const BASELINE_KINDS = ['b1', 'b3', 'b4', 'b5'] as const;
export type BaselineKind = (typeof BASELINE_KINDS)[number];

type App = FastifyInstance;

// A KeyObject made once, as the app's SigningKeys does: given a string, jsonwebtoken first tries
// to parse it as a PEM key on every call and pays for the exception (docs/benchmarks.md).
const jwtKey = createSecretKey(Buffer.from(JWT.secret));

/** A `users` row as either driver returns it (PostgreSQL: BIGINT as text; SQLite: booleans as 0/1). */
interface UserRow {
  id: number | string;
  phone_number: string;
  username: string;
  first_name: string;
  last_name: string;
  is_phone_verified: boolean | number;
  is_active: boolean | number;
  date_joined: number | string;
  last_login: number | string | null;
  banned_until: number | string | null;
  disabled_reason: string | null;
}

/** The minimal hydration: just what toUserResponse() reads, by hand, instead of TypeORM's metadata. */
function hydrateUser(row: UserRow): User {
  return {
    id: Number(row.id),
    phoneNumber: row.phone_number,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    isPhoneVerified: Boolean(row.is_phone_verified),
    isActive: Boolean(row.is_active),
    dateJoined: new Date(Number(row.date_joined)),
    lastLogin: row.last_login === null ? null : new Date(Number(row.last_login)),
    bannedUntil: row.banned_until === null ? null : new Date(Number(row.banned_until)),
    disabledReason: row.disabled_reason,
  };
}

const problem = (reply: { code(status: number): { send(body: unknown): unknown } }, status: number, code: string) =>
  reply.code(status).send({ status, code });

function b1(app: App): void {
  const user = toUserResponse({
    id: 1,
    phoneNumber: B1_PHONE,
    username: B1_PHONE,
    firstName: '',
    lastName: '',
    isPhoneVerified: true,
    isActive: true,
    dateJoined: new Date('2026-07-08T12:34:56Z'),
    lastLogin: null,
    bannedUntil: null,
    disabledReason: null,
  });
  app.get('/api/auth/profile/', () => ({ user }));
}

function b3(app: App, db: RawDb, { sessions, userById }: AppStatements, sessionCheck: boolean): void {
  const verifyOptions = { algorithms: ['HS256' as const], issuer: JWT.issuer, audience: JWT.audience };
  app.get('/api/auth/profile/', async (request, reply) => {
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    let claims: Partial<TokenPayload> | null;
    try {
      claims = token ? (jwt.verify(token, jwtKey, verifyOptions) as Partial<TokenPayload>) : null;
    } catch {
      claims = null;
    }
    if (!isWellFormed(claims) || claims.typ !== 'access') return problem(reply, 401, 'unauthorized');
    const userId = Number(claims.sub);
    const row = (
      sessionCheck
        ? await db.one(sessions.authenticate, { id: claims.sid, userId, now: Date.now() })
        : await db.one(userById, { id: userId })
    ) as UserRow | undefined;
    return row ? { user: toUserResponse(hydrateUser(row)) } : problem(reply, 401, 'unauthorized');
  });
}

/** The codes of a sign-in: the app's scope for them (phone, purpose, no user). */
const signInScope = (phoneNumber: string) => ({ phoneNumber, purpose: 'sign_in' as const, userId: null });

function normalize(input: string, forSending: boolean): string | undefined {
  const phone = /^\+[0-9 ().-]+$/.test(input.trim()) ? parsePhoneNumberFromString(input.trim()) : undefined;
  if (!phone?.isValid()) return undefined;
  if (forSending && !['MOBILE', 'FIXED_LINE_OR_MOBILE'].includes(phone.getType() ?? '')) return undefined;
  return phone.number;
}

function b4(app: App, db: RawDb, { users, otpCodes, sessions, audit, totpFactors }: AppStatements): void {
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
  app.post<{ Body: { phone_number: string; otp_code: string } }>(
    '/api/auth/verify-otp/',
    { schema },
    async (request, reply) => {
      const phone = normalize(request.body.phone_number, false);
      if (!phone) return problem(reply, 400, 'invalid_phone_number');
      const now = Date.now();
      const counted = (await db.one(otpCodes.countAttempt, {
        ...signInScope(phone),
        now,
        maxAttempts: OTP.maxAttempts,
      })) as { id: number | string; code_hash: string; created_at: number | string } | undefined;
      if (!counted || !hashesMatch(counted.code_hash, hashCode(OTP.secret, phone, request.body.otp_code))) {
        return problem(reply, 400, 'otp_invalid');
      }

      const session = { id: randomUUID(), refreshJti: randomUUID() };
      const userAgent = request.headers['user-agent']?.slice(0, 512) ?? null;
      // The app's sign-in transaction, in its order: spend the code, find or create the user, look
      // for a second factor, open the session, record the sign-in and write its two audit events.
      const user = await db.transaction(function* () {
        if (!(yield* query(otpCodes.consume, { id: Number(counted.id), at: now })).affected) return undefined;
        const { rows } = yield* query(users.findOrCreate, { phoneNumber: phone, now });
        const row = rows.at(0) as UserRow | undefined;
        if (!row) throw new Error('findOrCreate returned no row');
        const signedIn = hydrateUser(row);
        if (yield* totpFactors.isActive(signedIn.id))
          throw new Error('the bench signs in users without a second factor');
        const { id, refreshJti } = session;
        const expiresAt = now + SESSION_MAX_AGE_MS;
        yield* query(sessions.insert, {
          id,
          userId: signedIn.id,
          refreshJti,
          now,
          expiresAt,
          scope: 'full',
          userAgent,
          ip: request.ip,
        });
        yield* query(users.recordSignIn, { id: signedIn.id, phoneNumber: phone, at: now });
        const [userId, ip, isNewUser] = [signedIn.id, request.ip, signedIn.lastLogin === null];
        const elapsedMs = Math.max(0, now - Number(counted.created_at));
        yield* audit.record(
          [
            { type: 'code_verified', phoneNumber: phone, purpose: 'sign_in', userId, ip, elapsedMs },
            { type: 'sign_in', reason: 'otp', phoneNumber: phone, userId, sessionId: id, isNewUser, ip },
          ],
          new Date(now),
        );
        return signedIn;
      });
      if (!user) return problem(reply, 400, 'otp_invalid');
      const iat = Math.floor(now / 1000);
      const sign = (typ: TokenPayload['typ'], jwtid: string, expiresIn: number) =>
        jwt.sign({ typ, sid: session.id, iat }, jwtKey, {
          algorithm: 'HS256',
          issuer: JWT.issuer,
          audience: JWT.audience,
          subject: String(user.id),
          jwtid,
          expiresIn,
        });
      return {
        message: 'Authentication successful',
        user: toUserResponse(user),
        tokens: {
          access: sign('access', accessJtiOf(session.refreshJti), JWT.accessTtlSeconds),
          refresh: sign('refresh', session.refreshJti, JWT.refreshTtlSeconds),
        },
        is_new_user: user.lastLogin === null,
      };
    },
  );
}

function b5(app: App, db: RawDb, { otpCodes, audit, deliveries }: AppStatements): void {
  const schema = {
    body: {
      type: 'object',
      required: ['phone_number'],
      additionalProperties: false,
      properties: { phone_number: { type: 'string', minLength: 1, maxLength: 32 }, locale: { type: 'string' } },
    },
  };
  const ttlSeconds = Math.ceil(OTP.ttlMs / 1000);
  // The mock provider's work at LOG_LEVEL=warn with no outbox: the text is rendered, nothing is
  // sent, and the answer is a message id of its own.
  const deliver = (_to: string, _body: string) => `mock_${randomUUID()}`;
  app.post<{ Body: { phone_number: string } }>('/api/auth/send-otp/', { schema }, async (request, reply) => {
    const phone = normalize(request.body.phone_number, true);
    if (!phone) return problem(reply, 400, 'invalid_phone_number');
    const code = generateCode(OTP.codeLength);
    const now = Date.now();
    const codeHash = hashCode(OTP.secret, phone, code);
    // The app's two transactions: the code with the retirement of older ones, then, once the
    // provider took the SMS, its delivery record with the code_sent event.
    const codeId = await db.transaction(function* () {
      const { rows } = yield* query(otpCodes.insert, {
        ...signInScope(phone),
        codeHash,
        createdAt: now,
        expiresAt: now + OTP.ttlMs,
      });
      const id = Number((rows.at(0) as { id: number | string } | undefined)?.id);
      if (!id) throw new Error('the code INSERT returned no id');
      yield* query(otpCodes.retireOlder, { ...signInScope(phone), id, at: now });
      return id;
    });
    const messageId = deliver(phone, renderCodeMessage({ appName: APP_NAME, code, ttlMs: OTP.ttlMs, locale: 'en' }));
    const sentAt = new Date();
    await db.transaction(function* () {
      yield* deliveries.insert({ otpCodeId: codeId, channel: 'sms', locale: 'en', createdAt: sentAt, messageId });
      const sent = { type: 'code_sent', ...signInScope(phone), channel: 'sms', ip: request.ip } as const;
      yield* audit.record(sent, sentAt);
    });
    return {
      message: 'OTP sent successfully',
      phone_number: phone,
      expires_in_minutes: Number((ttlSeconds / 60).toFixed(2)),
      expires_in_seconds: ttlSeconds,
      channel: 'sms',
    };
  });
}

async function main(): Promise<void> {
  const kind = process.env.BASELINE as BaselineKind;
  if (!BASELINE_KINDS.includes(kind)) throw new Error(`BASELINE must be b1, b3, b4 or b5, not "${kind}"`);
  const app = fastify({ logger: false });
  app.get('/health', () => ({ status: 'ok' }));
  let db: RawDb | undefined;
  if (kind === 'b1') b1(app);
  else {
    const databaseUrl = process.env.DATABASE_URL ?? '';
    // Built once through TypeORM's metadata, as the app builds them; the connection is closed again.
    const statements = await withDataSource(databaseUrl, (dataSource) => Promise.resolve(appStatements(dataSource)));
    db = openRawDb(databaseUrl);
    if (kind === 'b3') b3(app, db, statements, process.env.BASELINE_SESSION_CHECK === '1');
    else if (kind === 'b4') b4(app, db, statements);
    else b5(app, db, statements);
  }

  const shutdown = () => {
    void app
      .close()
      .then(() => db?.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(2);
  });
}
