import { dialects } from './helpers/databases';
import { decodeJwt, DEV_JWT_SECRET, encodeJwt, tamperPayload } from './helpers/jwt';
import { expectProblem } from './helpers/problems';
import { signIn, type SignedIn } from './helpers/sign-in';
import { useTestApp } from './helpers/test-app';

const HS256 = { alg: 'HS256', typ: 'JWT' };

describe.each(dialects())('tokens on %s', (dialect) => {
  describe('with the default lifetimes', () => {
    const app = useTestApp(dialect);
    let session: SignedIn;
    let issuedFrom: number;
    let issuedTo: number;
    beforeAll(async () => {
      issuedFrom = Math.floor(Date.now() / 1000);
      session = await signIn(app(), '+12015550160');
      issuedTo = Math.ceil(Date.now() / 1000);
    });

    /**
     * The real access token's claims (whatever session claims it carries), re-dated to be valid for
     * the next minute, with `changes` on top: what a forger who knows the key would write.
     */
    const forgedClaims = (changes: Record<string, unknown> = {}): Record<string, unknown> => {
      const now = Math.floor(Date.now() / 1000);
      return { ...decodeJwt(session.tokens.access).payload, iat: now, exp: now + 60, ...changes };
    };
    const forge = (
      changes: Record<string, unknown> = {},
      header: Record<string, unknown> = HS256,
      secret = DEV_JWT_SECRET,
    ): string => `Bearer ${encodeJwt(header, forgedClaims(changes), secret)}`;

    const profileWith = (authorization?: string) => {
      const req = app().api.profile();
      return authorization === undefined ? req : req.set('Authorization', authorization);
    };

    it('signs an access token with HS256 for 900 seconds, naming the user, issuer and audience', () => {
      const { header, payload } = decodeJwt(session.tokens.access);

      expect(header).toEqual(expect.objectContaining({ alg: 'HS256' }));
      expect(payload).toEqual(
        expect.objectContaining({
          sub: String(session.user.id),
          typ: 'access',
          jti: expect.any(String),
          iat: expect.any(Number),
          exp: expect.any(Number),
          iss: 'otp-auth',
          aud: 'otp-auth',
        }),
      );
      expect(payload.iat).toBeGreaterThanOrEqual(issuedFrom);
      expect(payload.iat).toBeLessThanOrEqual(issuedTo);
      expect((payload.exp as number) - (payload.iat as number)).toBe(900);
    });

    it('signs a refresh token with HS256 for 604800 seconds and typ refresh', () => {
      const { header, payload } = decodeJwt(session.tokens.refresh);

      expect(header).toEqual(expect.objectContaining({ alg: 'HS256' }));
      expect(payload).toEqual(
        expect.objectContaining({ sub: String(session.user.id), typ: 'refresh', iss: 'otp-auth', aud: 'otp-auth' }),
      );
      expect((payload.exp as number) - (payload.iat as number)).toBe(604_800);
    });

    it('gives every token its own jti', async () => {
      const again = await signIn(app(), '+12015550160');
      const jtis = [session.tokens.access, session.tokens.refresh, again.tokens.access, again.tokens.refresh].map(
        (token) => decodeJwt(token).payload.jti,
      );

      expect(jtis.every((jti) => typeof jti === 'string' && jti.length > 0)).toBe(true);
      expect(new Set(jtis).size).toBe(4);
    });

    it('opens the profile with a token forged exactly as the server signs, so the refusals below are meaningful', async () => {
      const res = await profileWith(forge()).expect(200);

      expect(res.body.user).toEqual(session.user);
    });

    it.each<[string, () => string | undefined]>([
      ['no Authorization header', () => undefined],
      ['a bare "Bearer"', () => 'Bearer'],
      ['"Bearer" with garbage', () => 'Bearer not.a.jwt'],
      ['a token without the Bearer scheme', () => session.tokens.access],
      ['the Basic scheme', () => `Basic ${Buffer.from('user:pass').toString('base64')}`],
      ['a refresh token', () => `Bearer ${session.tokens.refresh}`],
      [
        'an expired access token',
        () => forge({ iat: Math.floor(Date.now() / 1000) - 1000, exp: Math.floor(Date.now() / 1000) - 100 }),
      ],
      [
        'a payload tampered to another user',
        () => `Bearer ${tamperPayload(session.tokens.access, { sub: String(session.user.id + 1) })}`,
      ],
      [
        'a payload tampered to live longer',
        () => `Bearer ${tamperPayload(session.tokens.access, { exp: 4102444800 })}`,
      ],
      ['alg none without a signature', () => forge({}, { alg: 'none', typ: 'JWT' }, '')],
      ['a wrong issuer', () => forge({ iss: 'evil' })],
      ['a wrong audience', () => forge({ aud: 'evil' })],
      ['a token signed with another key', () => forge({}, HS256, 'another-key-of-at-least-32-bytes!!')],
      ['an HS512 token signed with the right key', () => forge({}, { alg: 'HS512', typ: 'JWT' })],
      ['a token without typ', () => forge({ typ: undefined })],
      ['a token for a user id that does not exist', () => forge({ sub: '999999' })],
      ['a token whose sub is not a user id', () => forge({ sub: 'abc' })],
      ['a token without exp, which would never expire', () => forge({ exp: undefined })],
      ['a token with a crit header', () => forge({}, { ...HS256, crit: ['exp'] })],
      ['a token whose sid is not a UUID', () => forge({ sid: "x' OR '1'='1" })],
      ['a token whose sub is a fraction', () => forge({ sub: '1.5' })],
      ['an 8 KB header of garbage', () => `Bearer ${'a'.repeat(8000)}`],
    ])('refuses the profile with 401 unauthorized for %s', async (_label, authorization) => {
      const res = await profileWith(authorization());

      expectProblem(res, 401, 'unauthorized');
    });
  });

  describe('with JWT_ACCESS_TTL=2m and JWT_REFRESH_TTL=1d', () => {
    const app = useTestApp(dialect, { env: { JWT_ACCESS_TTL: '2m', JWT_REFRESH_TTL: '1d' } });

    it('issues tokens that live exactly the configured lifetimes', async () => {
      const { tokens } = await signIn(app(), '+12015550162');
      const access = decodeJwt(tokens.access).payload;
      const refresh = decodeJwt(tokens.refresh).payload;

      expect((access.exp as number) - (access.iat as number)).toBe(120);
      expect((refresh.exp as number) - (refresh.iat as number)).toBe(86_400);
    });
  });
});
