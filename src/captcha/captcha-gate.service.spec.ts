import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { startFakeSiteverify, type FakeSiteverify } from '../../test/helpers/fake-siteverify';
import { closedPort } from '../../test/helpers/loopback';
import { ProblemException } from '../common/errors/problem.exception';
import type { captchaConfig } from '../config';
import type { SiteverifyProvider } from '../config/captcha.config';
import { MemoryRateLimitStore } from '../rate-limit/memory-rate-limit.store';
import { CaptchaGate } from './captcha-gate.service';
import { createCaptchaVerifier } from './captcha.module';

type CaptchaConfig = ConfigType<typeof captchaConfig>;

const SECRET = 'captcha-secret-from-the-dashboard';
const CLIENT_IP = '203.0.113.7';

/** The problem a refused verify() throws. */
async function refusalOf(verifying: Promise<void>): Promise<ProblemException> {
  const refusal = await verifying.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refusal).toBeInstanceOf(ProblemException);
  return refusal as ProblemException;
}

/** What the problem filter logs about a refusal. */
function causeOf(refusal: ProblemException): string {
  return refusal.cause instanceof Error ? refusal.cause.message : '';
}

describe('CaptchaGate', () => {
  let fake: FakeSiteverify;
  let store: MemoryRateLimitStore;

  beforeEach(async () => {
    fake = await startFakeSiteverify({ secret: SECRET });
    store = new MemoryRateLimitStore();
  });

  afterEach(async () => {
    await fake.close();
  });

  function gate(settings: Partial<CaptchaConfig> & { provider?: SiteverifyProvider } = {}): CaptchaGate {
    const config = {
      provider: 'turnstile',
      siteverify: { url: fake.url, secret: SECRET },
      mode: 'on_risk',
      timeoutMs: 5_000,
      minScore: 0.5,
      hostnames: [],
      ...settings,
    } as CaptchaConfig;
    return new CaptchaGate(config, createCaptchaVerifier(config), store);
  }

  const none = (): CaptchaGate => {
    const config: CaptchaConfig = { provider: 'none', mode: 'on_risk', timeoutMs: 5_000, minScore: 0.5, hostnames: [] };
    return new CaptchaGate(config, createCaptchaVerifier(config), store);
  };

  describe('enabled and alwaysRequired', () => {
    it('are both off without a provider', () => {
      expect(none()).toMatchObject({ enabled: false, alwaysRequired: false });
    });

    it('ask for a captcha only when challenged in on_risk mode', () => {
      expect(gate({ mode: 'on_risk' })).toMatchObject({ enabled: true, alwaysRequired: false });
    });

    it('ask for a captcha on every send in always mode', () => {
      expect(gate({ mode: 'always' })).toMatchObject({ enabled: true, alwaysRequired: true });
    });
  });

  it('refuses to run without a provider: calling it then is a programming error, not a client one', async () => {
    const rejection = none().verify('token', CLIENT_IP);

    await expect(rejection).rejects.toThrow('CAPTCHA_PROVIDER=none');
    await expect(rejection).rejects.not.toBeInstanceOf(ProblemException);
  });

  it.each([undefined, ''])('answers captcha_required for a missing token (%p), asking no provider', async (token) => {
    await expect(gate().verify(token, CLIENT_IP)).rejects.toMatchObject({ code: 'captcha_required' });
    expect(fake.requests).toHaveLength(0);
  });

  describe.each<SiteverifyProvider>(['turnstile', 'hcaptcha', 'recaptcha'])('with %s', (provider) => {
    it('lets a token the provider accepts through, sending it the secret, the token and the client IP', async () => {
      fake.pass('solved-token');

      await expect(gate({ provider }).verify('solved-token', CLIENT_IP)).resolves.toBeUndefined();
      expect(fake.requests).toEqual([{ secret: SECRET, response: 'solved-token', remoteip: CLIENT_IP }]);
    });

    it('answers captcha_invalid when the provider says no, with its error codes but never the token as the cause to log', async () => {
      fake.fail('forged-token', ['invalid-input-response']);

      const refusal = await refusalOf(gate({ provider }).verify('forged-token', CLIENT_IP));

      expect(refusal).toMatchObject({ code: 'captcha_invalid' });
      expect(fake.requests).toEqual([{ secret: SECRET, response: 'forged-token', remoteip: CLIENT_IP }]);
      expect(causeOf(refusal)).toContain('invalid-input-response');
      expect(causeOf(refusal)).not.toContain('forged-token');
      expect(JSON.stringify(refusal.getResponse())).not.toContain('invalid-input-response');
    });
  });

  it('sends no remoteip when the client IP is unknown', async () => {
    fake.pass('solved-token');

    await expect(gate().verify('solved-token', undefined)).resolves.toBeUndefined();
    expect(fake.requests).toEqual([{ secret: SECRET, response: 'solved-token' }]);
  });

  describe('replays', () => {
    it('refuses an accepted token presented again, without asking the provider twice', async () => {
      fake.pass('solved-token');
      const captcha = gate();
      await expect(captcha.verify('solved-token', CLIENT_IP)).resolves.toBeUndefined();

      await expect(captcha.verify('solved-token', CLIENT_IP)).rejects.toMatchObject({ code: 'captcha_invalid' });
      expect(fake.requests).toHaveLength(1);
    });

    it('refuses a token refused before, without asking the provider again', async () => {
      const captcha = gate();
      await expect(captcha.verify('forged-token', CLIENT_IP)).rejects.toMatchObject({ code: 'captcha_invalid' });

      await expect(captcha.verify('forged-token', CLIENT_IP)).rejects.toMatchObject({ code: 'captcha_invalid' });
      expect(fake.requests).toHaveLength(1);
    });

    it('lets exactly one of ten parallel requests with one solved token through', async () => {
      fake.pass('solved-token');
      const captcha = gate();

      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => captcha.verify('solved-token', CLIENT_IP)),
      );

      expect(results.filter(({ status }) => status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ProblemException)).toHaveLength(9);
      expect(fake.requests).toHaveLength(1);
    });

    it('keeps a hash of the token in the shared store, never the token', async () => {
      fake.pass('solved-token');
      const increment = jest.spyOn(store, 'increment');

      await expect(gate().verify('solved-token', CLIENT_IP)).resolves.toBeUndefined();

      const hash = createHash('sha256').update('solved-token').digest('hex');
      expect(increment).toHaveBeenCalledWith(`captcha:seen:${hash}`, 10 * 60_000, 1);
    });

    it('shares the memory of seen tokens between gates on one store, as instances share Redis', async () => {
      fake.pass('solved-token');
      await expect(gate().verify('solved-token', CLIENT_IP)).resolves.toBeUndefined();

      await expect(gate().verify('solved-token', CLIENT_IP)).rejects.toMatchObject({ code: 'captcha_invalid' });
      expect(fake.requests).toHaveLength(1);
    });
  });

  describe('scores (reCAPTCHA v3)', () => {
    it.each([0.1, 0.49])('refuses a score of %p, below CAPTCHA_MIN_SCORE 0.5', async (score) => {
      fake.pass('solved-token', { score });

      const refusal = await refusalOf(gate({ provider: 'recaptcha' }).verify('solved-token', CLIENT_IP));

      expect(refusal).toMatchObject({ code: 'captcha_invalid' });
      expect(causeOf(refusal)).toContain('CAPTCHA_MIN_SCORE');
    });

    it.each([0.5, 0.9])('accepts a score of %p, at or above CAPTCHA_MIN_SCORE 0.5', async (score) => {
      fake.pass('solved-token', { score });

      await expect(gate({ provider: 'recaptcha' }).verify('solved-token', CLIENT_IP)).resolves.toBeUndefined();
    });

    it('does not judge an answer without a score (reCAPTCHA v2) by one', async () => {
      fake.pass('solved-token');

      await expect(
        gate({ provider: 'recaptcha', minScore: 1 }).verify('solved-token', CLIENT_IP),
      ).resolves.toBeUndefined();
    });

    it("does not hold hCaptcha Enterprise's score, where 1 means a bot, against CAPTCHA_MIN_SCORE", async () => {
      fake.pass('solved-token', { score: 0.1 });

      await expect(gate({ provider: 'hcaptcha' }).verify('solved-token', CLIENT_IP)).resolves.toBeUndefined();
    });
  });

  describe('CAPTCHA_HOSTNAMES', () => {
    it('accepts a captcha solved on one of them, in any case', async () => {
      fake.pass('solved-token', { hostname: 'App.Example.com' });

      await expect(
        gate({ hostnames: ['example.com', 'app.example.com'] }).verify('solved-token', CLIENT_IP),
      ).resolves.toBeUndefined();
    });

    it('refuses a captcha solved on another site', async () => {
      fake.pass('solved-token', { hostname: 'attacker.example' });

      const refusal = await refusalOf(gate({ hostnames: ['example.com'] }).verify('solved-token', CLIENT_IP));

      expect(refusal).toMatchObject({ code: 'captcha_invalid' });
      expect(causeOf(refusal)).toContain('attacker.example');
    });

    it('refuses an answer that names no site when they are set', async () => {
      fake.pass('solved-token', { hostname: '' });

      await expect(gate({ hostnames: ['example.com'] }).verify('solved-token', CLIENT_IP)).rejects.toMatchObject({
        code: 'captcha_invalid',
      });
    });

    it('accepts any site when unset', async () => {
      fake.pass('solved-token', { hostname: 'anywhere.example' });

      await expect(gate({ hostnames: [] }).verify('solved-token', CLIENT_IP)).resolves.toBeUndefined();
    });
  });

  describe('when the provider gives no verdict (fails closed)', () => {
    async function expectUnavailable(captcha: CaptchaGate, token = 'solved-token'): Promise<void> {
      await expect(captcha.verify(token, CLIENT_IP)).rejects.toMatchObject({
        code: 'captcha_unavailable',
        problem: { retryAfter: 5, cause: expect.any(Error) },
      });
    }

    it.each(['error500', 'garbage'] as const)(
      'answers captcha_unavailable when the provider answers %s, and takes the same token once it is back',
      async (mode) => {
        fake.pass('solved-token');
        fake.mode = mode;
        const captcha = gate();

        await expectUnavailable(captcha);

        fake.mode = 'answer';
        await expect(captcha.verify('solved-token', CLIENT_IP)).resolves.toBeUndefined();
      },
    );

    it('answers captcha_unavailable when the provider hangs past CAPTCHA_TIMEOUT, and takes the token on retry', async () => {
      fake.pass('solved-token');
      fake.mode = 'hang';
      const captcha = gate({ timeoutMs: 200 });

      await expectUnavailable(captcha);
      expect(fake.requests).toHaveLength(1);

      fake.mode = 'answer';
      await expect(captcha.verify('solved-token', CLIENT_IP)).resolves.toBeUndefined();
    });

    it('answers captcha_unavailable when the provider cannot be reached', async () => {
      const url = `http://127.0.0.1:${await closedPort()}/siteverify`;

      await expectUnavailable(gate({ siteverify: { url, secret: SECRET } }));
    });

    it('answers captcha_unavailable, not captcha_invalid, when the provider refuses CAPTCHA_SECRET', async () => {
      fake.pass('solved-token');
      const captcha = gate({ siteverify: { url: fake.url, secret: 'a-secret-for-another-site' } });

      await expect(captcha.verify('solved-token', CLIENT_IP)).rejects.toMatchObject({
        code: 'captcha_unavailable',
        problem: { cause: expect.objectContaining({ message: expect.stringContaining('CAPTCHA_SECRET') }) },
      });
    });

    it('answers captcha_unavailable for JSON that is not a siteverify result', async () => {
      fake.pass('solved-token', { success: 'yes' });

      await expectUnavailable(gate());
    });
  });
});
