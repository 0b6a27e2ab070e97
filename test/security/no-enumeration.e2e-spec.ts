import { dialects } from '../helpers/databases';
import { userRows } from '../helpers/db-rows';
import { expectProblem } from '../helpers/problems';
import { requestCode, signIn, wrongCode } from '../helpers/sign-in';
import { createTestApp, type TestApp } from '../helpers/test-app';

const SEND = '/api/auth/send-otp/';
const VERIFY = '/api/auth/verify-otp/';

describe.each(dialects())('security: no account enumeration on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(() => t?.close());

  it('answers send-otp for a registered and an unregistered number with the same status and body', async () => {
    await signIn(t, '+12015550145');
    expect(await userRows(t.db, '+12015550145')).toHaveLength(1);
    expect(await userRows(t.db, '+12015550146')).toHaveLength(0);

    const registered = await t.http().post(SEND).send({ phone_number: '+12015550145' });
    const unregistered = await t.http().post(SEND).send({ phone_number: '+12015550146' });

    expect(registered.status).toBe(200);
    expect(unregistered.status).toBe(registered.status);
    expect(unregistered.headers['content-type']).toBe(registered.headers['content-type']);
    expect({ ...unregistered.body, phone_number: 'X' }).toEqual({ ...registered.body, phone_number: 'X' });
    expect(unregistered.text.replace('+12015550146', 'X')).toBe(registered.text.replace('+12015550145', 'X'));
  });

  it('answers verify-otp with a wrong code and for a number that never requested one with identical bytes', async () => {
    const code = await requestCode(t, '+12015550147');
    const used = await requestCode(t, '+12015550149');
    await t.http().post(VERIFY).send({ phone_number: '+12015550149', otp_code: used }).expect(200);

    const wrong = await t
      .http()
      .post(VERIFY)
      .send({ phone_number: '+12015550147', otp_code: wrongCode(code) });
    const neverRequested = await t.http().post(VERIFY).send({ phone_number: '+12015550148', otp_code: code });
    // A registered user replaying a spent code is no different either.
    const spent = await t.http().post(VERIFY).send({ phone_number: '+12015550149', otp_code: used });

    expectProblem(wrong, 400, 'otp_invalid');
    for (const res of [neverRequested, spent]) {
      expect(res.status).toBe(wrong.status);
      expect(res.headers['content-type']).toBe(wrong.headers['content-type']);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.text).toBe(wrong.text);
    }
  });
});
