import { backends } from '../helpers/backends';
import { latestOtpRow } from '../helpers/db-rows';
import { expectProblem } from '../helpers/problems';
import { requestCode, wrongCode } from '../helpers/sign-in';
import { createTestApp, type TestApp } from '../helpers/test-app';

const VERIFY = '/api/auth/verify-otp/';

describe.each(backends())('security: attempt cap per code on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { OTP_MAX_ATTEMPTS: '3' } });
  });
  afterAll(() => t?.close());

  it('burns the code after OTP_MAX_ATTEMPTS wrong guesses; then a wrong and the right code get identical 429s', async () => {
    const phone = '+12015550100';
    const code = await requestCode(t, phone);

    for (let guess = 1; guess <= 3; guess++) {
      const res = await t
        .http()
        .post(VERIFY)
        .send({ phone_number: phone, otp_code: wrongCode(code) });
      expectProblem(res, 400, 'otp_invalid');
    }
    const wrong = await t
      .http()
      .post(VERIFY)
      .send({ phone_number: phone, otp_code: wrongCode(code) });
    const right = await t.http().post(VERIFY).send({ phone_number: phone, otp_code: code });

    expectProblem(wrong, 429, 'otp_attempts_exceeded');
    expectProblem(right, 429, 'otp_attempts_exceeded');
    // A late correct guess must reveal nothing: same status, same bytes.
    expect(right.text).toBe(wrong.text);
    expect((await latestOtpRow(t.db, phone)).attempts).toBe(3);
    expect((await latestOtpRow(t.db, phone)).consumed_at).toBeNull();
  });

  it('counts the right code as an attempt too, so it still works on the last allowed try', async () => {
    const phone = '+12015550101';
    const code = await requestCode(t, phone);

    for (let guess = 1; guess <= 2; guess++) {
      expectProblem(
        await t
          .http()
          .post(VERIFY)
          .send({ phone_number: phone, otp_code: wrongCode(code) }),
        400,
        'otp_invalid',
      );
    }
    await t.http().post(VERIFY).send({ phone_number: phone, otp_code: code }).expect(200);

    const row = await latestOtpRow(t.db, phone);
    expect(row.attempts).toBe(3);
    expect(row.consumed_at).not.toBeNull();
  });
});
