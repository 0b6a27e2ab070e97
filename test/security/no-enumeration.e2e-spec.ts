import { dialects } from '../helpers/databases';
import { otpRows, userRows } from '../helpers/db-rows';
import { expectProblem } from '../helpers/problems';
import { requestCode, signIn, wrongCode } from '../helpers/sign-in';
import { useTestApp } from '../helpers/test-app';

describe.each(dialects())('security: no account enumeration on %s', (dialect) => {
  const app = useTestApp(dialect);

  it('answers send-otp for a registered and an unregistered number with the same status and body', async () => {
    const t = app();
    await signIn(t, '+12015550145');
    expect(await userRows(t.db, '+12015550145')).toHaveLength(1);
    expect(await userRows(t.db, '+12015550146')).toHaveLength(0);

    const registered = await t.api.sendOtp('+12015550145');
    const unregistered = await t.api.sendOtp('+12015550146');

    expect(registered.status).toBe(200);
    expect(unregistered.status).toBe(registered.status);
    expect(unregistered.headers['content-type']).toBe(registered.headers['content-type']);
    expect({ ...unregistered.body, phone_number: 'X' }).toEqual({ ...registered.body, phone_number: 'X' });
    expect(unregistered.text.replace('+12015550146', 'X')).toBe(registered.text.replace('+12015550145', 'X'));
  });

  it('answers verify-otp with a wrong code and for a number that never requested one with identical bytes', async () => {
    const t = app();
    const code = await requestCode(t, '+12015550147');
    const used = await requestCode(t, '+12015550149');
    await t.api.verifyOtp('+12015550149', used).expect(200);

    const wrong = await t.api.verifyOtp('+12015550147', wrongCode(code));
    const neverRequested = await t.api.verifyOtp('+12015550148', code);
    // A registered user replaying a spent code is no different either.
    const spent = await t.api.verifyOtp('+12015550149', used);

    expectProblem(wrong, 400, 'otp_invalid');
    for (const res of [neverRequested, spent]) {
      expect(res.status).toBe(wrong.status);
      expect(res.headers['content-type']).toBe(wrong.headers['content-type']);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.text).toBe(wrong.text);
    }
    // Guessing at a number that never asked leaves nothing behind.
    expect(await otpRows(t.db, '+12015550148')).toEqual([]);
    expect(await userRows(t.db, '+12015550148')).toEqual([]);
  });
});
