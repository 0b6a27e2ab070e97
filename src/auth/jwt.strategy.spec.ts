import type { ConfigType } from '@nestjs/config';
import type { jwtConfig } from '../config';
import { JwtStrategy } from './jwt.strategy';
import { SigningKeys } from '../sessions/signing-keys';
import type { SessionsService } from '../sessions/sessions.service';
import type { TokenPayload } from '../sessions/token.service';

const SESSION_ID = '0b0e7a52-3c1d-4d0e-9a0e-6c2f1b1c9b22';

const CONFIG: ConfigType<typeof jwtConfig> = {
  secret: 'unit-test-jwt-secret-of-at-least-32-bytes',
  previousSecret: undefined,
  accessTtlMs: 15 * 60_000,
  refreshTtlMs: 7 * 86_400_000,
  issuer: 'otp-auth',
  audience: 'otp-auth',
};

function payload(claims: Partial<Record<keyof TokenPayload, unknown>>): TokenPayload {
  return {
    jti: '5f0c7a52-3c1d-4d0e-9a0e-6c2f1b1c9b11',
    sid: SESSION_ID,
    iat: 1_783_514_096,
    exp: 1_783_514_996,
    iss: 'otp-auth',
    aud: 'otp-auth',
    ...claims,
  } as TokenPayload;
}

describe('JwtStrategy.validate', () => {
  const authenticate = jest.fn((claims: TokenPayload) =>
    Promise.resolve({ user: { id: Number(claims.sub) }, sessionId: claims.sid }),
  );
  const strategy = new JwtStrategy(CONFIG, new SigningKeys(CONFIG), { authenticate } as unknown as SessionsService);

  beforeEach(() => authenticate.mockClear());

  it('turns an access token of a live session into the authenticated user', async () => {
    await expect(strategy.validate(payload({ sub: '42', typ: 'access' }))).resolves.toEqual({
      user: { id: 42 },
      sessionId: SESSION_ID,
    });
    await expect(strategy.validate(payload({ sub: '9007199254740991', typ: 'access' }))).resolves.toEqual({
      user: { id: Number.MAX_SAFE_INTEGER },
      sessionId: SESSION_ID,
    });
  });

  it('refuses a well-formed access token whose session has ended or whose user is deactivated', async () => {
    authenticate.mockResolvedValueOnce(null as never);
    await expect(strategy.validate(payload({ sub: '42', typ: 'access' }))).resolves.toBe(false);
  });

  it('refuses a refresh token, so it cannot stand in for a longer-lived access token', async () => {
    await expect(strategy.validate(payload({ sub: '42', typ: 'refresh' }))).resolves.toBe(false);
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('refuses a token without a session id', async () => {
    await expect(strategy.validate(payload({ sub: '42', typ: 'access', sid: undefined }))).resolves.toBe(false);
  });

  it.each([
    ['no exp (it would never expire)', { exp: undefined }],
    ['a fractional exp', { exp: 1_783_514_996.5 }],
    ['a string exp', { exp: '1783514996' }],
    ['a sid that is not a UUID', { sid: '1 OR 1=1' }],
    ['a numeric sid', { sid: 7 }],
  ])('refuses a token with %s before any session lookup', async (_case, claims) => {
    await expect(strategy.validate(payload({ sub: '42', typ: 'access', ...claims }))).resolves.toBe(false);
    expect(authenticate).not.toHaveBeenCalled();
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['another type', 'id'],
    ['differently cased', 'Access'],
  ])('refuses a token whose typ is %s', async (_case, typ) => {
    await expect(strategy.validate(payload({ sub: '42', typ }))).resolves.toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a number', 'admin'],
    ['zero', '0'],
    ['negative', '-1'],
    ['zero-padded', '042'],
    ['fractional', '4.2'],
    ['exponential', '1e3'],
    ['padded with spaces', ' 42'],
    ['followed by a newline', '42\n'],
    ['too long for a safe integer', '12345678901234567'],
  ])('refuses a token whose sub is %s', async (_case, sub) => {
    await expect(strategy.validate(payload({ sub, typ: 'access' }))).resolves.toBe(false);
  });
});
