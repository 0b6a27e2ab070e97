import { appConfig } from '../../src/config';
import { dialects } from '../helpers/databases';
import { latestOtpRow } from '../helpers/db-rows';
import { captureLogs } from '../helpers/log-capture';
import { expectProblem } from '../helpers/problems';
import { guessWrong } from '../helpers/sign-in';
import { createTestApp, useTestApp, type TestApp } from '../helpers/test-app';

const FIXED_CODE = '424242';

describe.each(dialects())('security: OTP_TEST_NUMBERS on %s', (dialect) => {
  const app = useTestApp(dialect, {
    env: {
      OTP_TEST_NUMBERS: '+12015550111:424242,+12015550112:424242,+12015550113:424242',
      OTP_RESEND_COOLDOWN: '60s',
      OTP_MAX_ATTEMPTS: '3',
    },
  });

  it('answers send-otp with 200 and texts nothing, and the fixed code signs the number in', async () => {
    const t = app();
    await t.api.sendOtp('+1 (201) 555-0111').expect(200);
    expect(t.sms.attempted.filter((m) => m.to === '+12015550111')).toEqual([]);

    const res = await t.api.verifyOtp('+12015550111', FIXED_CODE).expect(200);

    expect(res.body.user.phone_number).toBe('+12015550111');
    expect((await latestOtpRow(t.db, '+12015550111')).codeHash).not.toContain(FIXED_CODE);
  });

  it('still applies the resend cooldown to a test number', async () => {
    const t = app();
    await t.api.sendOtp('+12015550112').expect(200);

    const res = await t.api.sendOtp('+12015550112');

    expectProblem(res, 429, 'otp_resend_too_soon');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('still burns a test number’s code after OTP_MAX_ATTEMPTS wrong guesses, even for the fixed code', async () => {
    const t = app();
    await t.api.sendOtp('+12015550113').expect(200);
    await guessWrong(t, '+12015550113', FIXED_CODE, 3);

    const res = await t.api.verifyOtp('+12015550113', FIXED_CODE);

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
        override: (builder) => builder.overrideProvider(appConfig.KEY).useValue({ ...appConfig(), production: true }),
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
