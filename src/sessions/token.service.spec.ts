import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createHmac } from 'node:crypto';
import type { jwtConfig } from '../config';
import { SigningKeys, jwtModuleOptions, keyId } from './signing-keys';
import { TokenService, type TokenPayload } from './token.service';

const CONFIG: ConfigType<typeof jwtConfig> = {
  secret: 'unit-test-jwt-secret-of-at-least-32-bytes',
  previousSecret: undefined,
  accessTtlMs: 15 * 60_000,
  refreshTtlMs: 7 * 86_400_000,
  issuer: 'otp-auth-test',
  audience: 'otp-auth-clients',
};
const ROTATED_AT = new Date('2026-07-08T12:34:56.789Z');
const IAT = Math.floor(ROTATED_AT.getTime() / 1000);
const SESSION = {
  id: '0b7d5a2e-6f1c-4a8e-9d3b-2c5e7f9a1b4d',
  userId: 42,
  refreshJti: '6c1f0e9a-3b2d-4c5e-8f7a-9b0c1d2e3f4a',
  rotatedAt: ROTATED_AT,
};

/** The JwtService AuthModule registers. */
function jwtService(config: ConfigType<typeof jwtConfig>): JwtService {
  return new JwtService(jwtModuleOptions(new SigningKeys(config), config));
}

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A token with the given header and claims, HMAC-signed with `secret` (or unsigned for `alg: none`). */
function forge(header: Record<string, unknown>, claims: Record<string, unknown>, secret = CONFIG.secret): string {
  const unsigned = [header, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.');
  if (header.alg === 'none') return `${unsigned}.`;
  const hash = header.alg === 'HS512' ? 'sha512' : 'sha256';
  return `${unsigned}.${createHmac(hash, secret).update(unsigned).digest('base64url')}`;
}

describe('TokenService', () => {
  const jwt = jwtService(CONFIG);
  const tokens = new TokenService(jwt, CONFIG);

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    jest.setSystemTime(ROTATED_AT);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('issuePair', () => {
    it('signs both tokens with HS256', () => {
      const { access, refresh } = tokens.issuePair(SESSION);

      const header = { alg: 'HS256', typ: 'JWT', kid: keyId(CONFIG.secret) };
      expect(decodePart(access, 0)).toEqual(header);
      expect(decodePart(refresh, 0)).toEqual(header);
    });

    it('gives the access token the user, the session, its type, issuer, audience and the access TTL', async () => {
      const { access } = tokens.issuePair(SESSION);

      await expect(jwt.verifyAsync<TokenPayload>(access)).resolves.toEqual({
        sub: '42',
        typ: 'access',
        sid: SESSION.id,
        jti: expect.stringMatching(/^[0-9a-f]{32}$/),
        iat: IAT,
        exp: IAT + 15 * 60,
        iss: 'otp-auth-test',
        aud: 'otp-auth-clients',
      });
    });

    it("gives the refresh token the session's refresh jti and the refresh TTL", async () => {
      const { refresh } = tokens.issuePair(SESSION);

      await expect(jwt.verifyAsync<TokenPayload>(refresh)).resolves.toEqual({
        sub: '42',
        typ: 'refresh',
        sid: SESSION.id,
        jti: SESSION.refreshJti,
        iat: IAT,
        exp: IAT + 7 * 86_400,
        iss: 'otp-auth-test',
        aud: 'otp-auth-clients',
      });
    });

    it('gives the two tokens distinct jtis, and a new generation new ones', () => {
      const first = tokens.issuePair(SESSION);
      const next = tokens.issuePair({ ...SESSION, refreshJti: 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9' });
      const jtis = [first.access, first.refresh, next.access, next.refresh].map(
        (token) => jwt.decode<TokenPayload>(token).jti,
      );

      expect(new Set(jtis).size).toBe(4);
    });

    it('gives the same pair for the same generation, so a refresh in the grace window can repeat it', () => {
      const first = tokens.issuePair(SESSION);
      jest.setSystemTime(ROTATED_AT.getTime() + 5_000);

      expect(tokens.issuePair(SESSION)).toEqual(first);
    });

    it('rounds the configured TTLs up to whole seconds', () => {
      const service = new TokenService(jwt, { ...CONFIG, accessTtlMs: 1_500, refreshTtlMs: 90_000 });
      const { access, refresh } = service.issuePair(SESSION);

      const accessClaims = jwt.decode<TokenPayload>(access);
      const refreshClaims = jwt.decode<TokenPayload>(refresh);
      expect(accessClaims.exp - accessClaims.iat).toBe(2);
      expect(refreshClaims.exp - refreshClaims.iat).toBe(90);
    });
  });

  describe('verify', () => {
    it('returns the claims of a valid token of the expected type', () => {
      const { access, refresh } = tokens.issuePair(SESSION);

      expect(tokens.verify(access, 'access')).toMatchObject({ sub: '42', typ: 'access' });
      expect(tokens.verify(refresh, 'refresh')).toMatchObject({ sub: '42', typ: 'refresh' });
    });

    it('refuses a token of the other type', () => {
      const { access, refresh } = tokens.issuePair(SESSION);

      expect(() => tokens.verify(refresh, 'access')).toThrow(
        expect.objectContaining({ code: 'unauthorized', status: 401 }),
      );
      expect(() => tokens.verify(access, 'refresh')).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    });

    it('accepts a token up to its expiry and refuses it from then on', () => {
      const { access } = tokens.issuePair(SESSION);

      jest.setSystemTime((IAT + 15 * 60) * 1000 - 1);
      expect(tokens.verify(access, 'access')).toMatchObject({ typ: 'access' });
      jest.setSystemTime((IAT + 15 * 60) * 1000);
      expect(() => tokens.verify(access, 'access')).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    });

    it('refuses a token signed with another secret, issuer or audience', () => {
      const otherSecret = new TokenService(
        jwtService({ ...CONFIG, secret: 'another-secret-of-at-least-32-bytes!!' }),
        CONFIG,
      ).issuePair(SESSION);
      const otherIssuer = new TokenService(jwtService({ ...CONFIG, issuer: 'evil' }), CONFIG).issuePair(SESSION);
      const otherAudience = new TokenService(jwtService({ ...CONFIG, audience: 'evil' }), CONFIG).issuePair(SESSION);

      for (const { access } of [otherSecret, otherIssuer, otherAudience]) {
        expect(() => tokens.verify(access, 'access')).toThrow(expect.objectContaining({ code: 'unauthorized' }));
      }
    });

    it('refuses alg none and other algorithms, whatever the claims say', () => {
      const claims = decodePart(tokens.issuePair(SESSION).access, 1);

      expect(() => tokens.verify(forge({ alg: 'none', typ: 'JWT' }, claims), 'access')).toThrow(
        expect.objectContaining({
          code: 'unauthorized',
        }),
      );
      expect(() => tokens.verify(forge({ alg: 'HS512', typ: 'JWT' }, claims), 'access')).toThrow(
        expect.objectContaining({
          code: 'unauthorized',
        }),
      );
    });

    it('refuses a tampered token', () => {
      const { access } = tokens.issuePair(SESSION);
      const [header, , signature] = access.split('.');
      const claims = Buffer.from(JSON.stringify({ ...decodePart(access, 1), sub: '1' })).toString('base64url');

      expect(() => tokens.verify(`${header}.${claims}.${signature}`, 'access')).toThrow(
        expect.objectContaining({
          code: 'unauthorized',
        }),
      );
    });

    it.each([
      ['garbage', 'not-a-jwt'],
      ['empty', ''],
    ])('refuses a token that is %s', (_case, token) => {
      expect(() => tokens.verify(token, 'access')).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    });

    it.each([
      ['a non-numeric sub', { sub: 'admin' }],
      ['a zero-padded sub', { sub: '042' }],
      ['no sid', { sid: undefined }],
      ['a numeric sid', { sid: 7 }],
      ['no jti', { jti: undefined }],
    ])('refuses a correctly signed token with %s', (_case, override) => {
      const claims = { ...decodePart(tokens.issuePair(SESSION).access, 1), ...override };

      expect(() => tokens.verify(forge({ alg: 'HS256', typ: 'JWT' }, claims), 'access')).toThrow(
        expect.objectContaining({
          code: 'unauthorized',
        }),
      );
    });
  });
});
