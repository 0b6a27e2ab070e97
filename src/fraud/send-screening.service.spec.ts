import type { CaptchaGate } from '../captcha/captcha-gate.service';
import { ProblemException } from '../common/errors/problem.exception';
import { MetricsService } from '../metrics/metrics.service';
import type { PumpingBreaker, Risk } from './pumping-breaker.service';
import { SendScreening } from './send-screening.service';

const PHONE = '+12015550123';
const CONTEXT = { captchaToken: 'solved-token', clientIp: '203.0.113.7' };

describe('SendScreening', () => {
  let metrics: MetricsService;
  let breaker: {
    screen: jest.Mock<Promise<Risk>, [string]>;
    recordSend: jest.Mock<Promise<void>, [string, { captchaPassed: boolean }]>;
    recordVerified: jest.Mock<Promise<void>, [string]>;
  };
  let verify: jest.Mock<Promise<void>, [string | undefined, string | undefined]>;

  function screening({ alwaysRequired = false } = {}): SendScreening {
    const captcha = { alwaysRequired, verify } as unknown as CaptchaGate;
    return new SendScreening(breaker as unknown as PumpingBreaker, captcha, metrics);
  }

  const refusals = async () => {
    const text = await metrics.registry.metrics();
    return text.split('\n').filter((line) => line.startsWith('otp_send_refusals_total{'));
  };

  beforeEach(() => {
    metrics = new MetricsService();
    breaker = {
      screen: jest.fn((_phone: string) => Promise.resolve<Risk>('none')),
      recordSend: jest.fn((_phone: string, _admission: { captchaPassed: boolean }) => Promise.resolve()),
      recordVerified: jest.fn((_phone: string) => Promise.resolve()),
    };
    verify = jest.fn((_token: string | undefined, _ip: string | undefined) => Promise.resolve());
  });

  describe('admit', () => {
    it('asks for no captcha when the breaker sees no risk and CAPTCHA_MODE is on_risk', async () => {
      await expect(screening().admit(PHONE, CONTEXT)).resolves.toEqual({ captchaPassed: false });

      expect(breaker.screen).toHaveBeenCalledWith(PHONE);
      expect(verify).not.toHaveBeenCalled();
    });

    it('checks the captcha with the client’s token and IP when the breaker challenges the number', async () => {
      breaker.screen.mockResolvedValue('challenge');

      await expect(screening().admit(PHONE, CONTEXT)).resolves.toEqual({ captchaPassed: true });

      expect(verify).toHaveBeenCalledWith('solved-token', '203.0.113.7');
    });

    it('checks the captcha on every send when CAPTCHA_MODE is always, even without risk', async () => {
      await expect(screening({ alwaysRequired: true }).admit(PHONE, CONTEXT)).resolves.toEqual({ captchaPassed: true });

      expect(verify).toHaveBeenCalledTimes(1);
    });

    it('passes on a missing token for the gate to refuse', async () => {
      breaker.screen.mockResolvedValue('challenge');
      verify.mockRejectedValue(new ProblemException('captcha_required'));

      await expect(screening().admit(PHONE, {})).rejects.toMatchObject({ code: 'captcha_required' });
      expect(verify).toHaveBeenCalledWith(undefined, undefined);
    });

    it('counts a refused captcha under its code and rethrows it', async () => {
      breaker.screen.mockResolvedValue('challenge');
      const refusal = new ProblemException('captcha_invalid');
      verify.mockRejectedValue(refusal);

      await expect(screening().admit(PHONE, CONTEXT)).rejects.toBe(refusal);

      await expect(refusals()).resolves.toEqual(['otp_send_refusals_total{reason="captcha_invalid"} 1']);
    });

    it('rethrows an unexpected captcha failure without counting it as a refusal', async () => {
      const bug = new Error('CaptchaGate.verify() called with CAPTCHA_PROVIDER=none');
      verify.mockRejectedValue(bug);

      await expect(screening({ alwaysRequired: true }).admit(PHONE, CONTEXT)).rejects.toBe(bug);

      await expect(refusals()).resolves.toEqual([]);
    });

    it('lets a breaker block through untouched, without asking for a captcha', async () => {
      const block = new ProblemException('rate_limited', { retryAfter: 900 });
      breaker.screen.mockRejectedValue(block);

      await expect(screening({ alwaysRequired: true }).admit(PHONE, CONTEXT)).rejects.toBe(block);

      expect(verify).not.toHaveBeenCalled();
      // The breaker counts its own refusals.
      await expect(refusals()).resolves.toEqual([]);
    });
  });

  describe('sent and verified', () => {
    it('count the send and the verified code with the breaker', async () => {
      const service = screening();

      await expect(service.sent(PHONE, { captchaPassed: true })).resolves.toBeUndefined();
      await expect(service.verified(PHONE)).resolves.toBeUndefined();

      expect(breaker.recordSend).toHaveBeenCalledWith(PHONE, { captchaPassed: true });
      expect(breaker.recordVerified).toHaveBeenCalledWith(PHONE);
    });
  });
});
