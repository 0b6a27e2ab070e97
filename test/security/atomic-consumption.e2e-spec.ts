import { dialects } from '../helpers/databases';
import { latestOtpRow, userRows } from '../helpers/db-rows';
import { expectProblemShape } from '../helpers/problems';
import { sessionRowsOfUser } from '../helpers/sessions';
import { requestCode, wrongCode } from '../helpers/sign-in';
import { useTestApp } from '../helpers/test-app';

function tally(codes: string[]): Record<string, number> {
  return codes.reduce<Record<string, number>>((counts, code) => ({ ...counts, [code]: (counts[code] ?? 0) + 1 }), {});
}

describe.each(dialects())('security: atomic consumption on %s', (dialect) => {
  const app = useTestApp(dialect, { env: { OTP_MAX_ATTEMPTS: '5' } });

  it('lets exactly one of 20 parallel verifications of the right code through and creates one user', async () => {
    const t = app();
    const phone = '+12015550102';
    const code = await requestCode(t, phone);

    const answers = await Promise.all(Array.from({ length: 20 }, () => t.api.verifyOtp(phone, code)));

    const successes = answers.filter((res) => res.status === 200);
    expect(successes).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 200)) {
      expectProblemShape(res);
      expect(['otp_invalid', 'otp_attempts_exceeded']).toContain(res.body.code);
    }
    expect(await userRows(t.db, phone)).toHaveLength(1);
    expect(await sessionRowsOfUser(t.db, successes[0].body.user.id as number)).toHaveLength(1);
    expect((await latestOtpRow(t.db, phone)).consumedAt).not.toBeNull();
  });

  it('counts 50 parallel wrong guesses exactly: attempts stop at 5, five otp_invalid, the rest otp_attempts_exceeded', async () => {
    const t = app();
    const phone = '+12015550103';
    const code = await requestCode(t, phone);

    const answers = await Promise.all(Array.from({ length: 50 }, () => t.api.verifyOtp(phone, wrongCode(code))));

    answers.forEach(expectProblemShape);
    expect(tally(answers.map((res) => `${res.status} ${res.body.code}`))).toEqual({
      '400 otp_invalid': 5,
      '429 otp_attempts_exceeded': 45,
    });
    expect((await latestOtpRow(t.db, phone)).attempts).toBe(5);
  });

  it('never lets a parallel mix of right and wrong guesses redeem a burned code or go past the cap', async () => {
    const t = app();
    const phone = '+12015550104';
    const code = await requestCode(t, phone);

    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.api.verifyOtp(phone, i % 3 === 0 ? code : wrongCode(code))),
    );

    expect(answers.filter((res) => res.status === 200).length).toBeLessThanOrEqual(1);
    expect(answers.filter((res) => res.status >= 500)).toEqual([]);
    expect((await latestOtpRow(t.db, phone)).attempts).toBeLessThanOrEqual(5);
    expect((await userRows(t.db, phone)).length).toBe(answers.some((res) => res.status === 200) ? 1 : 0);
  });
});
