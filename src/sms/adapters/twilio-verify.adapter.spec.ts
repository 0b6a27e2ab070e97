import { FakeTwilio, type TwilioErrorCode } from '../../../test/helpers/fake-twilio';
import type { Channel, CodeMessage, SmsFailure } from '../sms-sender';
import { createTwilioClient } from './twilio-client';
import { TwilioVerifyAdapter } from './twilio-verify.adapter';

const TO = '+12015550123';

const message = (channel: Channel, locale: CodeMessage['locale'] = 'en'): CodeMessage => ({
  to: TO,
  // Verify makes its own code: ours must never reach Twilio.
  code: '999999',
  body: 'Your Acme code is 999999. It expires in 5 minutes.',
  locale,
  channel,
});

describe('TwilioVerifyAdapter', () => {
  let twilio: FakeTwilio;

  beforeAll(async () => {
    twilio = await FakeTwilio.start();
  });
  afterAll(() => twilio.close());
  afterEach(() => twilio.reset());

  const adapter = () =>
    new TwilioVerifyAdapter(
      createTwilioClient({
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        timeoutMs: 5_000,
        apiBaseUrl: twilio.url,
      }),
      twilio.verifyServiceSid,
    );

  it('offers every channel (each must also be enabled in the Verify Service)', () => {
    expect(adapter().channels).toEqual(['sms', 'whatsapp', 'voice']);
  });

  it.each<[Channel, string]>([
    ['sms', 'sms'],
    ['whatsapp', 'whatsapp'],
    ['voice', 'call'],
  ])(
    'starts a %s verification as Channel=%s, in the locale, and answers with its SID',
    async (channel, verifyChannel) => {
      const sent = await adapter().send(message(channel, 'es'));

      expect(twilio.requests).toHaveLength(1);
      const [request] = twilio.requests;
      expect(request.path).toBe(`/v2/Services/${twilio.verifyServiceSid}/Verifications`);
      expect(request.form).toEqual({ To: TO, Channel: verifyChannel, Locale: 'es' });
      expect(request.sid).toMatch(/^VE[0-9a-f]{32}$/);
      expect(sent).toEqual({ messageId: request.sid });
    },
  );

  it('checks the code Twilio made, whichever channel carried it', async () => {
    const verify = adapter();
    await verify.send(message('voice'));
    const code = twilio.codeFor(TO);

    await expect(verify.check(TO, code === '000000' ? '111111' : '000000')).resolves.toBe(false);
    await expect(verify.check(TO, code)).resolves.toBe(true);
  });

  it.each<[Channel, TwilioErrorCode, SmsFailure]>([
    ['sms', 60205, 'channel_refused'],
    ['whatsapp', 60223, 'channel_refused'],
    ['voice', 60223, 'channel_refused'],
    ['whatsapp', 68008, 'channel_refused'],
    ['sms', 60410, 'not_allowed'],
    ['sms', 60200, 'invalid_number'],
  ])('rejects a %s verification Twilio answers with %i as %s', async (channel, code, reason) => {
    twilio.failNextOn(channel, code);

    await expect(adapter().send(message(channel))).rejects.toMatchObject({ name: 'SmsDeliveryError', reason });
    expect(twilio.requests.map((request) => request.channel)).toEqual([channel]);
  });

  it('fails only the refused channel: a call after SMS to a landline (60205) goes through', async () => {
    twilio.failNextOn('sms', 60205);
    const verify = adapter();

    await expect(verify.send(message('sms'))).rejects.toMatchObject({ reason: 'channel_refused' });
    await expect(verify.send(message('voice'))).resolves.toHaveProperty('messageId');
    expect(twilio.requestsTo('Verifications').map((request) => request.form.Channel)).toEqual(['sms', 'call']);
  });
});
