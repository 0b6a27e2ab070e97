import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Repository } from 'typeorm';
import { useMemoryDatabase } from '../../test/helpers/memory-database';
import { AuditEventsRepository } from '../audit/audit-events.repository';
import { AuditTrail } from '../audit/audit-trail.service';
import type { jwtConfig, otpConfig, sessionConfig } from '../config';
import { Sql } from '../database/sql';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { User } from '../users/user.entity';
import { Session } from './session.entity';
import { SessionsRepository } from './sessions.repository';
import { SessionsService, type ClientInfo } from './sessions.service';
import type { TokensDto } from './dto/tokens.dto';
import { SigningKeys, jwtModuleOptions } from './signing-keys';
import { TokenService, type TokenPayload } from './token.service';

const T0 = new Date('2026-07-08T12:00:00.000Z').getTime();
const MINUTE = 60_000;
const DAY = 86_400_000;

const JWT_CONFIG: ConfigType<typeof jwtConfig> = {
  secret: 'unit-test-jwt-secret-of-at-least-32-bytes',
  previousSecret: undefined,
  accessTtlMs: 15 * MINUTE,
  refreshTtlMs: 7 * DAY,
  issuer: 'otp-auth',
  audience: 'otp-auth',
};

const SESSION_CONFIG: ConfigType<typeof sessionConfig> = {
  reuseGraceMs: 10_000,
  maxAgeMs: 30 * DAY,
};

const CLIENT = { ip: '203.0.113.7', userAgent: 'UnitSpec/1.0' };
const OTP_CONFIG = { secret: 'unit-test-otp-secret' } as ConfigType<typeof otpConfig>;

describe('SessionsService', () => {
  const database = useMemoryDatabase();
  let sessions: Repository<Session>;
  let users: Repository<User>;
  let alice: User;
  let bob: User;
  const jwt = new JwtService(jwtModuleOptions(new SigningKeys(JWT_CONFIG), JWT_CONFIG));
  const tokens = new TokenService(jwt, JWT_CONFIG);

  const repository = () => new SessionsRepository(new Sql(database()));

  function createService(overrides: Partial<ConfigType<typeof sessionConfig>> = {}): SessionsService {
    const sql = new Sql(database());
    const audit = new AuditTrail(new AuditEventsRepository(sql), sql, OTP_CONFIG);
    return new SessionsService(repository(), { ...SESSION_CONFIG, ...overrides }, tokens, audit, sql);
  }

  /** The audit events written in this test, oldest first. */
  const events = (): Promise<Record<string, unknown>[]> =>
    database().query('SELECT type, reason, user_id, session_id, ip FROM audit_events ORDER BY id');

  /** What a sign-in does with the service: opens the session in a transaction, then signs its pair. */
  async function start(service: SessionsService, userId: number, client: ClientInfo): Promise<TokensDto> {
    const session = await new Sql(database()).transaction(() => service.open(userId, client));
    return service.tokensFor(session);
  }

  const claimsOf = (token: string): TokenPayload => jwt.decode<TokenPayload>(token);
  const rowOf = (token: string): Promise<Session | null> => sessions.findOneBy({ id: claimsOf(token).sid });
  const caller = async (token: string): Promise<AuthenticatedUser> => {
    const userId = Number(claimsOf(token).sub);
    const user = [alice, bob].find(({ id }) => id === userId);
    const row = await rowOf(token);
    if (!user || !row) throw new Error(`no test user ${userId} or session`);
    return { sessionId: row.id, user, authenticatedAt: row.authenticatedAt, scope: row.scope };
  };
  const advance = (ms: number) => jest.setSystemTime(Date.now() + ms);

  function newUser(phoneNumber: string): User {
    return users.create({
      phoneNumber,
      username: phoneNumber,
      firstName: '',
      lastName: '',
      isPhoneVerified: true,
      isActive: true,
      dateJoined: new Date(T0 - DAY),
      lastLogin: null,
      bannedUntil: null,
      disabledReason: null,
    });
  }

  beforeAll(async () => {
    sessions = database().getRepository(Session);
    users = database().getRepository(User);
    alice = newUser('+12015550101');
    bob = newUser('+12015550102');
    await users.insert([alice, bob]);
  });

  beforeEach(async () => {
    await sessions.clear();
    await database().query('DELETE FROM audit_events');
    await users.update({ isActive: false }, { isActive: true });
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    jest.setSystemTime(T0);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('open', () => {
    it('inserts a live session expiring SESSION_MAX_AGE from now, with the client, and returns its pair', async () => {
      const pair = await start(createService(), alice.id, CLIENT);

      const row = await rowOf(pair.refresh);
      expect(row).toEqual({
        id: claimsOf(pair.access).sid,
        userId: alice.id,
        refreshJti: claimsOf(pair.refresh).jti,
        previousRefreshJti: null,
        rotatedAt: new Date(T0),
        createdAt: new Date(T0),
        lastUsedAt: new Date(T0),
        authenticatedAt: new Date(T0),
        expiresAt: new Date(T0 + 30 * DAY),
        revokedAt: null,
        revokedReason: null,
        scope: 'full',
        userAgent: 'UnitSpec/1.0',
        ip: '203.0.113.7',
      });
      expect(claimsOf(pair.access)).toMatchObject({ typ: 'access', sub: String(alice.id) });
      expect(claimsOf(pair.refresh)).toMatchObject({ typ: 'refresh', sub: String(alice.id), sid: row?.id });
    });

    it('keeps the first 512 characters of a long user agent, and null when there is none', async () => {
      const long = await start(createService(), alice.id, { userAgent: 'u'.repeat(600) });
      const none = await start(createService(), alice.id, {});

      expect((await rowOf(long.refresh))?.userAgent).toBe('u'.repeat(512));
      expect(await rowOf(none.refresh)).toMatchObject({ userAgent: null, ip: null });
    });
  });

  describe('refresh', () => {
    it('rotates: a new pair whose jti becomes current, the presented one previous, rotated and used now', async () => {
      const service = createService();
      const first = await start(service, alice.id, CLIENT);
      advance(5 * MINUTE);

      const second = await service.refresh(first.refresh);

      expect(second.access).not.toBe(first.access);
      expect(claimsOf(second.refresh).jti).not.toBe(claimsOf(first.refresh).jti);
      expect(claimsOf(second.refresh).sid).toBe(claimsOf(first.refresh).sid);
      expect(claimsOf(second.refresh).iat).toBe(Math.floor((T0 + 5 * MINUTE) / 1000));
      expect(await rowOf(second.refresh)).toMatchObject({
        refreshJti: claimsOf(second.refresh).jti,
        previousRefreshJti: claimsOf(first.refresh).jti,
        rotatedAt: new Date(T0 + 5 * MINUTE),
        lastUsedAt: new Date(T0 + 5 * MINUTE),
        createdAt: new Date(T0),
        expiresAt: new Date(T0 + 30 * DAY),
        revokedAt: null,
      });
    });

    it('accepts the newest token of every generation', async () => {
      const service = createService();
      let pair = await start(service, alice.id, CLIENT);
      for (let i = 0; i < 5; i += 1) {
        advance(MINUTE);
        pair = await service.refresh(pair.refresh);
      }

      expect((await rowOf(pair.refresh))?.refreshJti).toBe(claimsOf(pair.refresh).jti);
      await expect(service.authenticate(claimsOf(pair.access))).resolves.toEqual(await caller(pair.access));
    });

    it('answers the replaced token with the identical pair up to the end of the grace window, rotating nothing', async () => {
      const service = createService();
      const first = await start(service, alice.id, CLIENT);
      const second = await service.refresh(first.refresh);
      const rotated = await rowOf(second.refresh);
      advance(10_000);

      await expect(service.refresh(first.refresh)).resolves.toEqual(second);

      expect(await rowOf(second.refresh)).toEqual(rotated);
    });

    it('treats the replaced token as reuse 1 ms after the grace window and revokes the session', async () => {
      const service = createService();
      const first = await start(service, alice.id, CLIENT);
      const second = await service.refresh(first.refresh);
      advance(10_001);

      await expect(service.refresh(first.refresh)).rejects.toMatchObject({ code: 'refresh_token_reused' });

      expect(await rowOf(second.refresh)).toMatchObject({
        revokedAt: new Date(T0 + 10_001),
        revokedReason: 'refresh_token_reused',
      });
      await expect(service.refresh(second.refresh)).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(service.authenticate(claimsOf(second.access))).resolves.toBeNull();
    });

    it('treats a token two rotations old as reuse even inside the grace window', async () => {
      const service = createService();
      const first = await start(service, alice.id, CLIENT);
      const second = await service.refresh(first.refresh);
      const third = await service.refresh(second.refresh);

      await expect(service.refresh(first.refresh)).rejects.toMatchObject({ code: 'refresh_token_reused' });

      await expect(service.authenticate(claimsOf(third.access))).resolves.toBeNull();
      await expect(service.refresh(third.refresh)).rejects.toMatchObject({ code: 'unauthorized' });
    });

    it('gives parallel refreshes of one token the identical pair and rotates the session once', async () => {
      const service = createService();
      const first = await start(service, alice.id, CLIENT);

      const pairs = await Promise.all([1, 2, 3].map(() => service.refresh(first.refresh)));

      expect(pairs[1]).toEqual(pairs[0]);
      expect(pairs[2]).toEqual(pairs[0]);
      expect(await rowOf(first.refresh)).toMatchObject({
        refreshJti: claimsOf(pairs[0].refresh).jti,
        previousRefreshJti: claimsOf(first.refresh).jti,
        revokedAt: null,
      });
    });

    it('with a zero grace window treats even an immediate second use as reuse', async () => {
      const service = createService({ reuseGraceMs: 0 });
      const first = await start(service, alice.id, CLIENT);
      await service.refresh(first.refresh);

      await expect(service.refresh(first.refresh)).rejects.toMatchObject({ code: 'refresh_token_reused' });
      expect((await rowOf(first.refresh))?.revokedReason).toBe('refresh_token_reused');
    });

    it('with a zero grace window treats a second use 1 ms later as reuse', async () => {
      const service = createService({ reuseGraceMs: 0 });
      const first = await start(service, alice.id, CLIENT);
      await service.refresh(first.refresh);
      advance(1);

      await expect(service.refresh(first.refresh)).rejects.toMatchObject({ code: 'refresh_token_reused' });
    });

    it('refuses the token of a logged-out session as unauthorized, not as reuse', async () => {
      const service = createService();
      const pair = await start(service, alice.id, CLIENT);
      await service.logout(pair.refresh, 'local');

      await expect(service.refresh(pair.refresh)).rejects.toMatchObject({ code: 'unauthorized' });
      expect((await rowOf(pair.refresh))?.revokedReason).toBe('logout');
    });

    it('refuses the token of a deactivated user', async () => {
      const service = createService();
      const pair = await start(service, alice.id, CLIENT);
      await users.update(alice.id, { isActive: false });

      await expect(service.refresh(pair.refresh)).rejects.toMatchObject({ code: 'unauthorized' });
    });

    it('refuses refresh once the absolute lifetime is reached, however recently the session was refreshed', async () => {
      const service = createService({ maxAgeMs: 60 * MINUTE });
      let pair = await start(service, alice.id, CLIENT);
      for (const step of [20, 20, 19]) {
        advance(step * MINUTE);
        pair = await service.refresh(pair.refresh);
      }
      advance(MINUTE);

      await expect(service.refresh(pair.refresh)).rejects.toMatchObject({ code: 'unauthorized' });
      await expect(service.authenticate(claimsOf(pair.access))).resolves.toBeNull();
      expect((await rowOf(pair.refresh))?.expiresAt).toEqual(new Date(T0 + 60 * MINUTE));
    });

    it('refuses an access token, so it cannot be traded for a new pair', async () => {
      const service = createService();
      const pair = await start(service, alice.id, CLIENT);

      await expect(service.refresh(pair.access)).rejects.toMatchObject({ code: 'unauthorized' });
      expect((await rowOf(pair.refresh))?.previousRefreshJti).toBeNull();
    });

    it('refuses a refresh token signed with another key', async () => {
      const service = createService();
      const pair = await start(service, alice.id, CLIENT);
      const forged = new JwtService({ secret: 'another-secret-of-at-least-32-bytes!!' }).sign(claimsOf(pair.refresh));

      await expect(service.refresh(forged)).rejects.toMatchObject({ code: 'unauthorized' });
    });
  });

  describe('authenticate', () => {
    it('accepts an access token of a live session of an active user', async () => {
      const pair = await start(createService(), alice.id, CLIENT);

      await expect(createService().authenticate(claimsOf(pair.access))).resolves.toEqual({
        sessionId: claimsOf(pair.access).sid,
        user: alice,
        authenticatedAt: new Date(T0),
        scope: 'full',
      });
    });

    it('refuses once the session is revoked, the user deactivated, or the session expired', async () => {
      const service = createService({ maxAgeMs: 60 * MINUTE });
      const revoked = await start(service, alice.id, CLIENT);
      await service.logout(revoked.refresh, 'local');
      const inactive = await start(service, bob.id, CLIENT);
      await users.update(bob.id, { isActive: false });
      const expiring = await start(service, alice.id, CLIENT);

      await expect(service.authenticate(claimsOf(revoked.access))).resolves.toBeNull();
      await expect(service.authenticate(claimsOf(inactive.access))).resolves.toBeNull();
      await expect(service.authenticate(claimsOf(expiring.access))).resolves.not.toBeNull();
      advance(60 * MINUTE);
      await expect(service.authenticate(claimsOf(expiring.access))).resolves.toBeNull();
    });

    it('refuses claims pairing one user with another user’s session', async () => {
      const service = createService();
      const bobs = await start(service, bob.id, CLIENT);

      await expect(service.authenticate({ ...claimsOf(bobs.access), sub: String(alice.id) })).resolves.toBeNull();
    });
  });

  describe('logout', () => {
    it('local revokes the token’s session only', async () => {
      const service = createService();
      const current = await start(service, alice.id, CLIENT);
      const other = await start(service, alice.id, CLIENT);

      await service.logout(current.refresh, 'local');

      expect(await rowOf(current.refresh)).toMatchObject({ revokedAt: new Date(T0), revokedReason: 'logout' });
      expect((await rowOf(other.refresh))?.revokedAt).toBeNull();
    });

    it('others revokes every other session of the user and keeps the current one and other users’', async () => {
      const service = createService();
      const current = await start(service, alice.id, CLIENT);
      const other = await start(service, alice.id, CLIENT);
      const bobs = await start(service, bob.id, CLIENT);

      await service.logout(current.refresh, 'others');

      expect((await rowOf(current.refresh))?.revokedAt).toBeNull();
      expect((await rowOf(other.refresh))?.revokedReason).toBe('signed_out_elsewhere');
      expect((await rowOf(bobs.refresh))?.revokedAt).toBeNull();
    });

    it('global revokes every session of the user and no one else’s', async () => {
      const service = createService();
      const current = await start(service, alice.id, CLIENT);
      const other = await start(service, alice.id, CLIENT);
      const bobs = await start(service, bob.id, CLIENT);

      await service.logout(current.refresh, 'global');

      expect((await rowOf(current.refresh))?.revokedReason).toBe('logout');
      expect((await rowOf(other.refresh))?.revokedReason).toBe('logout');
      expect((await rowOf(bobs.refresh))?.revokedAt).toBeNull();
    });

    it.each(['local', 'others', 'global'] as const)(
      'treats a rotated-out refresh token at logout (%s) as a replay: revokes only its session, 401',
      async (scope) => {
        const service = createService({ reuseGraceMs: 0 });
        const stale = await start(service, alice.id, CLIENT);
        const other = await start(service, alice.id, CLIENT);
        await service.refresh(stale.refresh);

        await expect(service.logout(stale.refresh, scope)).rejects.toMatchObject({
          code: 'refresh_token_reused',
          status: 401,
        });
        expect((await rowOf(stale.refresh))?.revokedReason).toBe('refresh_token_reused');
        expect((await rowOf(other.refresh))?.revokedAt).toBeNull();
      },
    );

    it('records each logout with its scope, and a replay as refresh_reused instead, in the revocation’s transaction', async () => {
      const service = createService({ reuseGraceMs: 0 });
      const local = await start(service, alice.id, CLIENT);
      const global = await start(service, bob.id, CLIENT);
      const stale = await start(service, alice.id, CLIENT);
      await service.refresh(stale.refresh);
      await service.logout(local.refresh, 'local', CLIENT.ip);
      await service.logout(global.refresh, 'global');
      await expect(service.logout(stale.refresh, 'others', CLIENT.ip)).rejects.toMatchObject({
        code: 'refresh_token_reused',
      });

      expect(await events()).toEqual([
        { type: 'logout', reason: 'local', user_id: alice.id, session_id: claimsOf(local.access).sid, ip: CLIENT.ip },
        { type: 'logout', reason: 'global', user_id: bob.id, session_id: claimsOf(global.access).sid, ip: null },
        {
          type: 'refresh_reused',
          reason: null,
          user_id: alice.id,
          session_id: claimsOf(stale.access).sid,
          ip: CLIENT.ip,
        },
      ]);
    });

    it('signs out with the token the last rotation replaced while within REFRESH_REUSE_GRACE', async () => {
      const service = createService({ reuseGraceMs: 10_000 });
      const pair = await start(service, alice.id, CLIENT);
      await service.refresh(pair.refresh);
      advance(5_000);

      await expect(service.logout(pair.refresh, 'local')).resolves.toBeUndefined();
      expect((await rowOf(pair.refresh))?.revokedReason).toBe('logout');
    });

    it('refuses a second logout with the same token and keeps the first revocation’s time and reason', async () => {
      const service = createService();
      const pair = await start(service, alice.id, CLIENT);
      await service.logout(pair.refresh, 'local');
      advance(MINUTE);

      await expect(service.logout(pair.refresh, 'global')).rejects.toMatchObject({ code: 'unauthorized' });

      expect(await rowOf(pair.refresh)).toMatchObject({ revokedAt: new Date(T0), revokedReason: 'logout' });
    });
  });

  describe('list', () => {
    it('returns the caller’s live sessions, most recently used first, marking the caller’s as current', async () => {
      const service = createService({ maxAgeMs: 60 * MINUTE });
      const expired = await start(service, alice.id, { userAgent: 'Expired/1' });
      advance(30 * MINUTE);
      const older = await start(service, alice.id, { userAgent: 'Older/1', ip: '198.51.100.1' });
      const revoked = await start(service, alice.id, { userAgent: 'Revoked/1' });
      await service.logout(revoked.refresh, 'local');
      await start(service, bob.id, { userAgent: 'Bob/1' });
      advance(MINUTE);
      const current = await start(service, alice.id, { userAgent: 'Current/1' });
      advance(29 * MINUTE);
      await service.refresh(older.refresh);
      expect((await rowOf(expired.refresh))?.expiresAt).toEqual(new Date(T0 + 60 * MINUTE));

      await expect(service.list(await caller(current.access))).resolves.toEqual({
        sessions: [
          {
            id: claimsOf(older.access).sid,
            current: false,
            created_at: new Date(T0 + 30 * MINUTE).toISOString(),
            last_used_at: new Date(T0 + 60 * MINUTE).toISOString(),
            expires_at: new Date(T0 + 90 * MINUTE).toISOString(),
            user_agent: 'Older/1',
            ip: '198.51.100.1',
          },
          expect.objectContaining({ id: claimsOf(current.access).sid, current: true, user_agent: 'Current/1' }),
        ],
      });
    });
  });

  describe('revokeOwn', () => {
    it('revokes one of the caller’s sessions with reason revoked', async () => {
      const service = createService();
      const current = await start(service, alice.id, CLIENT);
      const other = await start(service, alice.id, CLIENT);

      await expect(
        service.revokeOwn(await caller(current.access), claimsOf(other.access).sid),
      ).resolves.toBeUndefined();

      expect(await rowOf(other.refresh)).toMatchObject({ revokedAt: new Date(T0), revokedReason: 'revoked' });
      expect((await rowOf(current.refresh))?.revokedAt).toBeNull();
    });

    it('records the revocation as session_revoked, and nothing for a refused one', async () => {
      const service = createService();
      const current = await start(service, alice.id, CLIENT);
      const other = await start(service, alice.id, CLIENT);
      const sid = claimsOf(other.access).sid;
      await service.revokeOwn(await caller(current.access), sid);
      await expect(service.revokeOwn(await caller(current.access), sid)).rejects.toMatchObject({ code: 'not_found' });

      expect(await events()).toEqual([
        { type: 'session_revoked', reason: 'revoked', user_id: alice.id, session_id: sid, ip: null },
      ]);
    });

    it('answers another user’s session as not_found and leaves it live', async () => {
      const service = createService();
      const mine = await start(service, alice.id, CLIENT);
      const bobs = await start(service, bob.id, CLIENT);

      await expect(service.revokeOwn(await caller(mine.access), claimsOf(bobs.access).sid)).rejects.toMatchObject({
        code: 'not_found',
      });

      expect((await rowOf(bobs.refresh))?.revokedAt).toBeNull();
    });

    it.each(['', 'not-a-uuid', '1', '00000000-0000-4000-8000-000000000000', "' OR 1=1 --"])(
      'answers the id %j as not_found',
      async (id) => {
        const service = createService();
        const mine = await start(service, alice.id, CLIENT);

        await expect(service.revokeOwn(await caller(mine.access), id)).rejects.toMatchObject({ code: 'not_found' });
        expect((await rowOf(mine.refresh))?.revokedAt).toBeNull();
      },
    );

    it('answers an already revoked session as not_found, keeping its first reason', async () => {
      const service = createService();
      const current = await start(service, alice.id, CLIENT);
      const other = await start(service, alice.id, CLIENT);
      await service.logout(other.refresh, 'local');

      await expect(service.revokeOwn(await caller(current.access), claimsOf(other.access).sid)).rejects.toMatchObject({
        code: 'not_found',
      });
      expect((await rowOf(other.refresh))?.revokedReason).toBe('logout');
    });
  });

  describe('SessionsRepository.purge', () => {
    it('deletes only sessions revoked or expired before the cutoff and returns how many', async () => {
      const service = createService({ maxAgeMs: DAY });
      const revokedLongAgo = await start(service, alice.id, CLIENT);
      await service.logout(revokedLongAgo.refresh, 'local');
      const expiredLongAgo = await start(service, alice.id, CLIENT);
      advance(DAY + 1);
      const cutoff = new Date();
      const revokedAtCutoff = await start(service, alice.id, CLIENT);
      await service.logout(revokedAtCutoff.refresh, 'local');
      advance(MINUTE);
      const revokedRecently = await start(service, bob.id, CLIENT);
      await service.logout(revokedRecently.refresh, 'local');
      const live = await start(service, bob.id, CLIENT);

      await expect(repository().purge(cutoff)).resolves.toBe(2);

      expect(await rowOf(revokedLongAgo.refresh)).toBeNull();
      expect(await rowOf(expiredLongAgo.refresh)).toBeNull();
      expect(await rowOf(revokedAtCutoff.refresh)).not.toBeNull();
      expect(await rowOf(revokedRecently.refresh)).not.toBeNull();
      expect(await rowOf(live.refresh)).not.toBeNull();
    });

    it('deletes nothing a second time, so several instances may run it at once', async () => {
      const service = createService();
      const pair = await start(service, alice.id, CLIENT);
      await service.logout(pair.refresh, 'local');
      advance(MINUTE);

      const counts = await Promise.all([repository().purge(new Date()), repository().purge(new Date())]);

      expect(counts.sort()).toEqual([0, 1]);
      expect(await sessions.count()).toBe(0);
    });
  });
});
