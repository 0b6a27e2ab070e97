import { dialects } from '../helpers/databases';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { expectProblem } from '../helpers/problems';
import { requestCode, wrongCode } from '../helpers/sign-in';
import { createTestApp, type TestApp } from '../helpers/test-app';

const SEND = '/api/auth/send-otp/';
const VERIFY = '/api/auth/verify-otp/';
const PROFILE = '/api/auth/profile/';
const REFRESH = '/api/auth/token/refresh/';
const LOGOUT = '/api/auth/logout/';

describe.each(dialects())('security: no secrets in logs on %s', (dialect) => {
  let t: TestApp;
  let logs: LogCapture;
  beforeAll(async () => {
    logs = captureLogs();
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
    logs?.restore();
  });

  it('logs no code, no token and no unmasked phone number across a full flow, an SMS failure included', async () => {
    const phone = '+12015550124';
    const failing = '+12015550123';
    const tokens: string[] = [];

    const code = await requestCode(t, phone);
    expectProblem(
      await t
        .http()
        .post(VERIFY)
        .send({ phone_number: phone, otp_code: wrongCode(code) }),
      400,
      'otp_invalid',
    );
    const signedIn = await t.http().post(VERIFY).send({ phone_number: phone, otp_code: code }).expect(200);
    const { access, refresh } = signedIn.body.tokens as { access: string; refresh: string };
    tokens.push(access, refresh);
    await t.http().get(PROFILE).set('Authorization', `Bearer ${access}`).expect(200);
    await t.http().patch(PROFILE).set('Authorization', `Bearer ${access}`).send({ first_name: 'Ada' }).expect(200);
    const rotated = await t.http().post(REFRESH).send({ refresh }).expect(200);
    tokens.push(rotated.body.access, rotated.body.refresh);
    await t.http().get(PROFILE).set('Authorization', `Bearer ${access}x`).expect(401);
    await t.http().post(LOGOUT).send({ refresh: rotated.body.refresh }).expect(204);
    await t.http().post(REFRESH).send({ refresh: rotated.body.refresh }).expect(401);
    t.sms.failing = true;
    expectProblem(await t.http().post(SEND).send({ phone_number: failing }), 503, 'sms_delivery_failed');
    t.sms.failing = false;
    const codes = t.sms.attempted.map((m) => /code is (\d+)/.exec(m.body)?.[1] as string);

    const text = logs.lines.join('\n');
    // The capture works: the SMS failure's warning is in it, with the number masked.
    expect(text).toMatch(/SMS to \+1201\*{5}23 failed/);
    expect(codes).toHaveLength(2);
    for (const digits of codes) expect(text).not.toMatch(new RegExp(`(?<!\\d)${digits}(?!\\d)`));
    expect(text).not.toContain('eyJ');
    for (const token of tokens) {
      for (const part of token.split('.')) expect(text).not.toContain(part);
    }
    for (const number of [phone, failing]) {
      expect(text).not.toContain(number);
      expect(text).not.toContain(number.slice(2));
      expect(text).not.toContain(number.slice(-7));
    }
  });
});
