import { dialects } from '../helpers/databases';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { expectProblem } from '../helpers/problems';
import { guessWrong, requestCode } from '../helpers/sign-in';
import { useTestApp } from '../helpers/test-app';

describe.each(dialects())('security: no secrets in logs on %s', (dialect) => {
  let logs: LogCapture;
  const app = useTestApp(dialect);
  beforeAll(() => {
    logs = captureLogs(app().app);
  });
  afterAll(() => logs?.restore());

  it('logs no code, no token and no unmasked phone number across a full flow, an SMS failure included', async () => {
    const t = app();
    const phone = '+12015550124';
    const failing = '+12015550123';
    const tokens: string[] = [];

    const code = await requestCode(t, phone);
    await guessWrong(t, phone, code, 1);
    const signedIn = await t.api.verifyOtp(phone, code).expect(200);
    const { access, refresh } = signedIn.body.tokens as { access: string; refresh: string };
    tokens.push(access, refresh);
    await t.api.profile(access).expect(200);
    await t.api.updateProfile(access, { first_name: 'Ada' }).expect(200);
    const rotated = await t.api.refresh(refresh).expect(200);
    tokens.push(rotated.body.access, rotated.body.refresh);
    await t.api.profile(`${access}x`).expect(401);
    await t.api.logout(rotated.body.refresh).expect(204);
    await t.api.refresh(rotated.body.refresh).expect(401);
    t.sms.failing = true;
    expectProblem(await t.api.sendOtp(failing), 503, 'sms_delivery_failed');
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
