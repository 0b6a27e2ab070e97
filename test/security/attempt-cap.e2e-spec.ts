import { backends } from '../helpers/backends';
import { latestOtpRow, userRows } from '../helpers/db-rows';
import { expectProblem } from '../helpers/problems';
import { guessWrong, requestCode, wrongCode } from '../helpers/sign-in';
import { useTestApp } from '../helpers/test-app';

describe.each(backends())('security: attempt cap per code on %s', (backend) => {
  const app = useTestApp(backend, { env: { OTP_MAX_ATTEMPTS: '3' } });

  it('burns the code after OTP_MAX_ATTEMPTS wrong guesses; then a wrong and the right code get identical 429s', async () => {
    const t = app();
    const phone = '+12015550100';
    const code = await requestCode(t, phone);

    await guessWrong(t, phone, code, 3);
    const wrong = await t.api.verifyOtp(phone, wrongCode(code));
    const right = await t.api.verifyOtp(phone, code);

    expectProblem(wrong, 429, 'otp_attempts_exceeded');
    expectProblem(right, 429, 'otp_attempts_exceeded');
    // A late correct guess must reveal nothing: same status, same bytes.
    expect(right.text).toBe(wrong.text);
    expect((await latestOtpRow(t.db, phone)).attempts).toBe(3);
    expect((await latestOtpRow(t.db, phone)).consumedAt).toBeNull();
    expect(await userRows(t.db, phone)).toEqual([]);
  });

  it('counts the right code as an attempt too, so it still works on the last allowed try', async () => {
    const t = app();
    const phone = '+12015550101';
    const code = await requestCode(t, phone);

    await guessWrong(t, phone, code, 2);
    await t.api.verifyOtp(phone, code).expect(200);

    const row = await latestOtpRow(t.db, phone);
    expect(row.attempts).toBe(3);
    expect(row.consumedAt).not.toBeNull();
  });
});
