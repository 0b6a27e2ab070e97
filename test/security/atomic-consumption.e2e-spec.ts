import type { DataSource } from 'typeorm';
import { dialects, type Dialect } from '../helpers/databases';
import { latestOtpRow, userRows } from '../helpers/db-rows';
import { expectProblem, expectProblemShape } from '../helpers/problems';
import { sessionRowsOfUser } from '../helpers/sessions';
import { requestCode, wrongCode } from '../helpers/sign-in';
import { useTestApp } from '../helpers/test-app';

function tally(codes: string[]): Record<string, number> {
  return codes.reduce<Record<string, number>>((counts, code) => ({ ...counts, [code]: (counts[code] ?? 0) + 1 }), {});
}

/** Makes every INSERT into `sessions` fail, as a crash or an outage at that point of a sign-in would. */
async function breakSessionInserts(db: DataSource, dialect: Dialect): Promise<() => Promise<void>> {
  if (dialect === 'sqlite') {
    await db.query(
      `CREATE TRIGGER fail_session_insert BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, 'injected'); END`,
    );
    return async () => void (await db.query('DROP TRIGGER fail_session_insert'));
  }
  await db.query(
    `CREATE FUNCTION fail_session_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$`,
  );
  await db.query(
    'CREATE TRIGGER fail_session_insert BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION fail_session_insert()',
  );
  return async () => void (await db.query('DROP FUNCTION fail_session_insert() CASCADE'));
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

  it('commits nothing of a sign-in that fails half-way, so the same code signs the new user in on retry', async () => {
    const t = app();
    const phone = '+12015550105';
    const code = await requestCode(t, phone);
    const repair = await breakSessionInserts(t.db, dialect);

    try {
      expectProblem(await t.api.verifyOtp(phone, code), 500, 'internal_error');
    } finally {
      await repair();
    }

    expect(await userRows(t.db, phone)).toEqual([]);
    expect(await latestOtpRow(t.db, phone)).toMatchObject({ consumedAt: null, attempts: 1 });
    const retry = await t.api.verifyOtp(phone, code).expect(200);
    expect(retry.body.is_new_user).toBe(true);
    const [user] = await userRows(t.db, phone);
    expect(user.lastLogin).not.toBeNull();
    expect(await sessionRowsOfUser(t.db, user.id)).toHaveLength(1);
  });
});
