import { appConfig } from '../../src/config';
import { dialects } from '../helpers/databases';
import { latestOtpRow } from '../helpers/db-rows';
import { captureLogs } from '../helpers/log-capture';
import { expectProblem } from '../helpers/problems';
import { createTestApp, type TestApp } from '../helpers/test-app';

const SEND = '/api/auth/send-otp/';
const VERIFY = '/api/auth/verify-otp/';
const FIXED_CODE = '424242';

describe.each(dialects())('security: OTP_TEST_NUMBERS on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, {
      env: {
        OTP_TEST_NUMBERS: '+12015550111:424242,+12015550112:424242,+12015550113:424242',
        OTP_RESEND_COOLDOWN: '60s',
        OTP_MAX_ATTEMPTS: '3',
      },
    });
  });
  afterAll(() => t?.close());

  it('answers send-otp with 200 and texts nothing, and the fixed code signs the number in', async () => {
    await t.http().post(SEND).send({ phone_number: '+1 (201) 555-0111' }).expect(200);
    expect(t.sms.attempted.filter((m) => m.to === '+12015550111')).toEqual([]);

    const res = await t.http().post(VERIFY).send({ phone_number: '+12015550111', otp_code: FIXED_CODE }).expect(200);

    expect(res.body.user.phone_number).toBe('+12015550111');
    expect((await latestOtpRow(t.db, '+12015550111')).code_hash).not.toContain(FIXED_CODE);
  });

  it('still applies the resend cooldown to a test number', async () => {
    await t.http().post(SEND).send({ phone_number: '+12015550112' }).expect(200);

    const res = await t.http().post(SEND).send({ phone_number: '+12015550112' });

    expectProblem(res, 429, 'otp_resend_too_soon');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('still burns a test number’s code after OTP_MAX_ATTEMPTS wrong guesses, even for the fixed code', async () => {
    await t.http().post(SEND).send({ phone_number: '+12015550113' }).expect(200);
    for (let guess = 1; guess <= 3; guess++) {
      expectProblem(
        await t.http().post(VERIFY).send({ phone_number: '+12015550113', otp_code: '000000' }),
        400,
        'otp_invalid',
      );
    }

    const res = await t.http().post(VERIFY).send({ phone_number: '+12015550113', otp_code: FIXED_CODE });

    expectProblem(res, 429, 'otp_attempts_exceeded');
    expect((await latestOtpRow(t.db, '+12015550113')).attempts).toBe(3);
  });

  it('logs a warning listing the test numbers when the app boots with NODE_ENV=production', async () => {
    const logs = captureLogs();
    let production: TestApp | undefined;
    try {
      // Production refuses the mock SMS provider at config time, so only the app namespace says production.
      production = await createTestApp(dialect, {
        env: { OTP_TEST_NUMBERS: '+12015550114:424242' },
        override: (builder) =>
          builder.overrideProvider(appConfig.KEY).useValue({ ...appConfig(), nodeEnv: 'production' }),
      });
    } finally {
      logs.restore();
      await production?.close();
    }

    const warnings = logs.lines.filter((line) => line.startsWith('Logger.warn') && line.includes('OTP_TEST_NUMBERS'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('+12015550114');
    expect(warnings[0]).not.toContain('424242');
  });
});
