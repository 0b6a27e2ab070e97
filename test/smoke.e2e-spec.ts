import { dialects } from './helpers/databases';
import { createTestApp, type TestApp } from './helpers/test-app';

describe.each(dialects())('smoke on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(() => t.close());

  it('signs in', async () => {
    await t.http().post('/api/auth/send-otp/').send({ phone_number: '+12015550123' }).expect(200);
    const code = t.sms.lastCodeFor('+12015550123');
    const res = await t
      .http()
      .post('/api/auth/verify-otp/')
      .send({ phone_number: '+12015550123', otp_code: code })
      .expect(200);
    await t.http().get('/api/auth/profile').set('Authorization', `Bearer ${res.body.tokens.access}`).expect(200);
    await t
      .http()
      .post('/api/auth/send-otp/')
      .type('json')
      .send('{bad')
      .expect(400)
      .expect((r) => expect(r.body.code).toBe('validation_failed'));
  });
});
