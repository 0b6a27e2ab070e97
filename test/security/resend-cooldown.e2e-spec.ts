import { backends } from '../helpers/backends';
import { otpRows } from '../helpers/db-rows';
import { expectProblem } from '../helpers/problems';
import { useTestApp } from '../helpers/test-app';

describe.each(backends())('security: resend cooldown on %s', (backend) => {
  const app = useTestApp(backend, { env: { OTP_RESEND_COOLDOWN: '60s' } });
  afterEach(() => {
    app().sms.failing = false;
  });

  it('refuses a second send inside OTP_RESEND_COOLDOWN with otp_resend_too_soon, Retry-After and no SMS', async () => {
    const t = app();
    const phone = '+12015550105';
    await t.api.sendOtp(phone).expect(200);

    const res = await t.api.sendOtp(phone);

    expectProblem(res, 429, 'otp_resend_too_soon');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(t.sms.countFor(phone)).toBe(1);
    expect(await otpRows(t.db, phone)).toHaveLength(1);
  });

  it('texts exactly once when 10 sends to one phone arrive in parallel', async () => {
    const t = app();
    const phone = '+12015550106';

    const answers = await Promise.all(Array.from({ length: 10 }, () => t.api.sendOtp(phone)));

    expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 200)) expectProblem(res, 429, 'otp_resend_too_soon');
    expect(t.sms.attempted.filter((m) => m.to === phone)).toHaveLength(1);
    expect(await otpRows(t.db, phone)).toHaveLength(1);
  });

  it('releases the cooldown when the SMS fails, so an immediate retry is sent and its code works', async () => {
    const t = app();
    const phone = '+12015550107';
    t.sms.failing = true;
    expectProblem(await t.api.sendOtp(phone), 503, 'sms_delivery_failed');
    t.sms.failing = false;

    const retry = await t.api.sendOtp(phone);

    expect(retry.status).toBe(200);
    expect(t.sms.countFor(phone)).toBe(1);
    await t.api.verifyOtp(phone, t.sms.lastCodeFor(phone)).expect(200);
  });
});
