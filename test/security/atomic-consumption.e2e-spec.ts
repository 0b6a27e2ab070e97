import { dialects } from '../helpers/databases';
import { latestOtpRow, query, userRows } from '../helpers/db-rows';
import { expectProblemShape } from '../helpers/problems';
import { requestCode, wrongCode } from '../helpers/sign-in';
import { createTestApp, type TestApp } from '../helpers/test-app';

const VERIFY = '/api/auth/verify-otp/';

function tally(codes: string[]): Record<string, number> {
  return codes.reduce<Record<string, number>>((counts, code) => ({ ...counts, [code]: (counts[code] ?? 0) + 1 }), {});
}

describe.each(dialects())('security: atomic consumption on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect, { env: { OTP_MAX_ATTEMPTS: '5' } });
  });
  afterAll(() => t?.close());

  it('lets exactly one of 20 parallel verifications of the right code through and creates one user', async () => {
    const phone = '+12015550102';
    const code = await requestCode(t, phone);

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => t.http().post(VERIFY).send({ phone_number: phone, otp_code: code })),
    );

    const successes = answers.filter((res) => res.status === 200);
    expect(successes).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 200)) {
      expectProblemShape(res);
      expect(['otp_invalid', 'otp_attempts_exceeded']).toContain(res.body.code);
    }
    expect(await userRows(t.db, phone)).toHaveLength(1);
    const sessions = await query(t.db, 'SELECT id FROM sessions WHERE user_id = :id', {
      id: successes[0].body.user.id,
    });
    expect(sessions).toHaveLength(1);
    expect((await latestOtpRow(t.db, phone)).consumed_at).not.toBeNull();
  });

  it('counts 50 parallel wrong guesses exactly: attempts stop at 5, five otp_invalid, the rest otp_attempts_exceeded', async () => {
    const phone = '+12015550103';
    const code = await requestCode(t, phone);

    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        t
          .http()
          .post(VERIFY)
          .send({ phone_number: phone, otp_code: wrongCode(code) }),
      ),
    );

    answers.forEach(expectProblemShape);
    expect(tally(answers.map((res) => `${res.status} ${res.body.code}`))).toEqual({
      '400 otp_invalid': 5,
      '429 otp_attempts_exceeded': 45,
    });
    expect((await latestOtpRow(t.db, phone)).attempts).toBe(5);
  });

  it('never lets a parallel mix of right and wrong guesses redeem a burned code or go past the cap', async () => {
    const phone = '+12015550104';
    const code = await requestCode(t, phone);

    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t
          .http()
          .post(VERIFY)
          .send({ phone_number: phone, otp_code: i % 3 === 0 ? code : wrongCode(code) }),
      ),
    );

    expect(answers.filter((res) => res.status === 200).length).toBeLessThanOrEqual(1);
    expect(answers.filter((res) => res.status >= 500)).toEqual([]);
    expect((await latestOtpRow(t.db, phone)).attempts).toBeLessThanOrEqual(5);
    expect((await userRows(t.db, phone)).length).toBe(answers.some((res) => res.status === 200) ? 1 : 0);
  });
});
