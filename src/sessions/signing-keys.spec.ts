import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { jwtConfig } from '../config';
import { jwtModuleOptions, keyId, SigningKeys } from './signing-keys';
import { TokenService } from './token.service';

const OLD = 'the-old-jwt-secret-of-at-least-32-bytes!';
const NEW = 'the-new-jwt-secret-of-at-least-32-bytes!';
const SESSION = { id: '0b0e7a52-3c1d-4d0e-9a0e-6c2f1b1c9b22', userId: 7, refreshJti: 'jti-1', rotatedAt: new Date() };

function config(secret: string, previousSecret?: string): ConfigType<typeof jwtConfig> {
  return {
    secret,
    previousSecret,
    accessTtlMs: 900_000,
    refreshTtlMs: 86_400_000,
    issuer: 'otp-auth',
    audience: 'otp-auth',
  };
}

/** A TokenService wired as AuthModule wires it: signing with JWT_SECRET and its kid. */
function tokenService(cfg: ConfigType<typeof jwtConfig>): TokenService {
  return new TokenService(new JwtService(jwtModuleOptions(new SigningKeys(cfg), cfg)), cfg);
}

describe('JWT key rotation', () => {
  it('names each key by a kid that does not reveal it', () => {
    expect(keyId(OLD)).not.toEqual(keyId(NEW));
    expect(keyId(OLD)).not.toContain(OLD.slice(0, 6));
    const header = JSON.parse(
      Buffer.from(
        new JwtService({ secret: OLD }).sign({}, { keyid: keyId(OLD) }).split('.')[0],
        'base64url',
      ).toString(),
    );
    expect(header).toMatchObject({ kid: keyId(OLD) });
  });

  it('keeps tokens signed with the previous secret valid while JWT_PREVIOUS_SECRET names it', () => {
    const before = tokenService(config(OLD)).issuePair(SESSION);

    const afterRotation = tokenService(config(NEW, OLD));

    expect(afterRotation.verify(before.access, 'access')).toMatchObject({ sub: '7', typ: 'access' });
    expect(afterRotation.verify(before.refresh, 'refresh')).toMatchObject({ typ: 'refresh' });
  });

  it('refuses tokens of the old secret once JWT_PREVIOUS_SECRET is removed', () => {
    const before = tokenService(config(OLD)).issuePair(SESSION);

    expect(() => tokenService(config(NEW)).verify(before.access, 'access')).toThrow(
      expect.objectContaining({
        code: 'unauthorized',
      }),
    );
  });

  it('signs new tokens with the new secret only', () => {
    const after = tokenService(config(NEW, OLD)).issuePair(SESSION);

    expect(tokenService(config(NEW)).verify(after.access, 'access')).toMatchObject({ typ: 'access' });
    expect(() => tokenService(config(OLD)).verify(after.access, 'access')).toThrow(
      expect.objectContaining({
        code: 'unauthorized',
      }),
    );
  });

  it('refuses a token whose kid names no configured key, and one whose kid was swapped to another key', () => {
    const keys = new SigningKeys(config(NEW, OLD));
    const forged = new JwtService({ secret: 'someone-elses-secret-of-32-bytes-and-more' }).sign(
      {},
      { keyid: 'unknown-kid' },
    );
    expect(keys.keyFor(forged)).toBeUndefined();

    // A token signed with OLD but labelled with NEW's kid is checked against NEW and fails.
    const relabelled = new JwtService({ secret: OLD }).sign(
      { typ: 'access', sid: SESSION.id },
      { keyid: keyId(NEW), subject: '7', jwtid: 'x', issuer: 'otp-auth', audience: 'otp-auth', expiresIn: 60 },
    );
    expect(() => tokenService(config(NEW, OLD)).verify(relabelled, 'access')).toThrow(
      expect.objectContaining({
        code: 'unauthorized',
      }),
    );
  });

  it('checks tokens without a kid (issued before kids existed) against JWT_SECRET', () => {
    const keys = new SigningKeys(config(NEW, OLD));
    expect(keys.keyFor(new JwtService({ secret: NEW }).sign({}))).toBe(keys.currentKey);
    expect(keys.keyFor('not-a-jwt')).toBeUndefined();
  });

  it('has no key for a token with a crit header, whatever it names (RFC 7515 §4.1.11)', () => {
    const keys = new SigningKeys(config(NEW, OLD));
    const critical = new JwtService({ secret: NEW }).sign({}, { header: { alg: 'HS256', crit: ['exp'] } });

    expect(keys.keyFor(critical)).toBeUndefined();
  });
});
