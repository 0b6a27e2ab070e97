import { FakeTwilio, type TwilioErrorCode } from '../../../test/helpers/fake-twilio';
import { renderVoiceTwiml } from '../code-message';
import { SmsDeliveryError, type Channel, type CodeMessage } from '../sms-sender';
import { createTwilioClient } from './twilio-client';
import { TwilioSmsAdapter, type TwilioSmsOptions } from './twilio-sms.adapter';

const FROM = '+12015550199';
const WHATSAPP_FROM = '+14155238886';
const VOICE_FROM = '+12015550188';
const MESSAGING_SERVICE_SID = 'MG' + 'a1'.repeat(16);
const CONTENT_SID = 'HX' + 'b2'.repeat(16);
const RECEIPTS = 'https://auth.example.com/api/sms/status/twilio/';
const TO = '+12015550123';

const message = (channel: Channel, extra: Partial<CodeMessage> = {}): CodeMessage => ({
  to: TO,
  code: '012345',
  body: 'Your Acme code is 012345. It expires in 5 minutes.',
  locale: 'en',
  channel,
  ...extra,
});

describe('TwilioSmsAdapter', () => {
  let twilio: FakeTwilio;

  beforeAll(async () => {
    twilio = await FakeTwilio.start();
  });
  afterAll(() => twilio.close());
  afterEach(() => twilio.reset());

  function adapter(options: Partial<TwilioSmsOptions> = {}): TwilioSmsAdapter {
    const client = createTwilioClient({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      timeoutMs: 5_000,
      apiBaseUrl: twilio.url,
    });
    return new TwilioSmsAdapter(client, { appName: 'Acme', sender: { from: FROM }, ...options });
  }

  /** The one request the fake received. */
  function onlyRequest() {
    expect(twilio.requests).toHaveLength(1);
    return twilio.requests[0];
  }

  describe('channels', () => {
    it('delivers on every channel when texts go from a number, which can also call', () => {
      expect(adapter().channels).toEqual(['sms', 'whatsapp', 'voice']);
    });

    it('cannot call through a Messaging Service alone, only with a number to call from', () => {
      const sender = { messagingServiceSid: MESSAGING_SERVICE_SID };
      expect(adapter({ sender }).channels).toEqual(['sms', 'whatsapp']);
      expect(adapter({ sender, voiceFrom: VOICE_FROM }).channels).toEqual(['sms', 'whatsapp', 'voice']);
    });

    it('refuses a call it has no number for as channel_refused, naming TWILIO_VOICE_FROM, without asking Twilio', async () => {
      const sender = adapter({ sender: { messagingServiceSid: MESSAGING_SERVICE_SID } });

      await expect(sender.send(message('voice'))).rejects.toMatchObject({
        name: 'SmsDeliveryError',
        reason: 'channel_refused',
        details: { setting: 'TWILIO_VOICE_FROM' },
      });
      expect(twilio.requests).toHaveLength(0);
    });
  });

  describe('sms', () => {
    it('texts the body from TWILIO_FROM and answers with the message SID', async () => {
      const sent = await adapter().send(message('sms'));

      const request = onlyRequest();
      expect(request.path).toBe(`/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`);
      expect(request.form).toEqual({ To: TO, From: FROM, Body: message('sms').body });
      expect(request.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(sent).toEqual({ messageId: request.sid });
    });

    it('texts through the Messaging Service when that is the sender', async () => {
      await adapter({ sender: { messagingServiceSid: MESSAGING_SERVICE_SID } }).send(message('sms'));

      expect(onlyRequest().form).toEqual({
        To: TO,
        MessagingServiceSid: MESSAGING_SERVICE_SID,
        Body: message('sms').body,
      });
    });

    it('asks for delivery receipts at TWILIO_STATUS_CALLBACK_URL when it is set', async () => {
      await adapter({ statusCallbackUrl: RECEIPTS }).send(message('sms'));

      expect(onlyRequest().form).toEqual({ To: TO, From: FROM, Body: message('sms').body, StatusCallback: RECEIPTS });
    });

    it('texts notices as before, asking for no receipts', async () => {
      await expect(
        adapter({ statusCallbackUrl: RECEIPTS }).notify({ to: TO, body: 'Your number was changed.', locale: 'en' }),
      ).resolves.toBeUndefined();

      expect(onlyRequest().form).toEqual({ To: TO, From: FROM, Body: 'Your number was changed.' });
    });
  });

  describe('whatsapp', () => {
    it('sends the body between whatsapp: addresses, from TWILIO_FROM by default', async () => {
      const sent = await adapter().send(message('whatsapp'));

      const request = onlyRequest();
      expect(request.path).toBe(`/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`);
      expect(request.form).toEqual({ To: `whatsapp:${TO}`, From: `whatsapp:${FROM}`, Body: message('whatsapp').body });
      expect(request.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(sent).toEqual({ messageId: request.sid });
    });

    it('sends from TWILIO_WHATSAPP_FROM when it is set, whatever texts the SMS', async () => {
      for (const sender of [{ from: FROM }, { messagingServiceSid: MESSAGING_SERVICE_SID }]) {
        twilio.reset();
        await adapter({ sender, whatsappFrom: WHATSAPP_FROM }).send(message('whatsapp'));

        expect(onlyRequest().form).toEqual({
          To: `whatsapp:${TO}`,
          From: `whatsapp:${WHATSAPP_FROM}`,
          Body: message('whatsapp').body,
        });
      }
    });

    it('sends through the Messaging Service when that is the sender and no WhatsApp number is set', async () => {
      await adapter({ sender: { messagingServiceSid: MESSAGING_SERVICE_SID } }).send(message('whatsapp'));

      expect(onlyRequest().form).toEqual({
        To: `whatsapp:${TO}`,
        MessagingServiceSid: MESSAGING_SERVICE_SID,
        Body: message('whatsapp').body,
      });
    });

    it('sends the approved template with the code as its variable, and no body, when one is set', async () => {
      await adapter({ whatsappFrom: WHATSAPP_FROM, whatsappContentSid: CONTENT_SID }).send(message('whatsapp'));

      const { form } = onlyRequest();
      expect(form).toEqual({
        To: `whatsapp:${TO}`,
        From: `whatsapp:${WHATSAPP_FROM}`,
        ContentSid: CONTENT_SID,
        ContentVariables: '{"1":"012345"}',
      });
      expect(JSON.parse(form.ContentVariables)).toEqual({ 1: '012345' });
    });

    it('asks for delivery receipts when TWILIO_STATUS_CALLBACK_URL is set', async () => {
      await adapter({ statusCallbackUrl: RECEIPTS }).send(message('whatsapp'));

      expect(onlyRequest().form).toMatchObject({ To: `whatsapp:${TO}`, StatusCallback: RECEIPTS });
    });
  });

  describe('voice', () => {
    it('calls from TWILIO_FROM with TwiML that reads the code, and answers with the call SID', async () => {
      const sent = await adapter().send(message('voice'));

      const request = onlyRequest();
      expect(request.path).toBe(`/2010-04-01/Accounts/${twilio.accountSid}/Calls.json`);
      expect(request.form).toEqual({
        To: TO,
        From: FROM,
        Twiml: renderVoiceTwiml({ appName: 'Acme', code: '012345', locale: 'en' }),
      });
      expect(request.sid).toMatch(/^CA[0-9a-f]{32}$/);
      expect(sent).toEqual({ messageId: request.sid });
    });

    it('calls from TWILIO_VOICE_FROM when it is set, asking for receipts when TWILIO_STATUS_CALLBACK_URL is', async () => {
      await adapter({ voiceFrom: VOICE_FROM, statusCallbackUrl: RECEIPTS }).send(message('voice'));

      expect(onlyRequest().form).toMatchObject({ To: TO, From: VOICE_FROM, StatusCallback: RECEIPTS });
    });

    it.each<[CodeMessage['locale'], string, string]>([
      ['en', 'en-US', 'Your Acme code is 0, 1, 2, 3, 4, 5.'],
      ['es', 'es-ES', 'Tu código de Acme es 0, 1, 2, 3, 4, 5.'],
    ])('reads a %s code in %s, digit by digit, twice', async (locale, language, sentence) => {
      await adapter().send(message('voice', { locale }));

      const { Twiml } = onlyRequest().form;
      expect(Twiml).toContain(`<Say language="${language}"`);
      expect(Twiml).toContain(`>${sentence}</Say>`);
      expect(Twiml.match(/0, 1, 2, 3, 4, 5\./g)).toHaveLength(2);
      expect(Twiml).not.toContain('012345');
    });

    it('escapes the app name in the TwiML it sends', async () => {
      await adapter({ appName: 'Fish & <Chips>' }).send(message('voice'));

      const { Twiml } = onlyRequest().form;
      expect(Twiml).toContain('Your Fish &amp; &lt;Chips&gt; code is');
      expect(Twiml).not.toContain('<Chips>');
    });
  });

  describe('failures', () => {
    it.each<[Channel, TwilioErrorCode]>([
      ['whatsapp', 63003],
      ['whatsapp', 63016],
      ['whatsapp', 63024],
      ['voice', 13224],
      ['voice', 21215],
    ])('rejects a %s send Twilio answers with %i as channel_refused', async (channel, code) => {
      twilio.failNextOn(channel, code);

      const failure = adapter().send(message(channel));

      await expect(failure).rejects.toBeInstanceOf(SmsDeliveryError);
      await expect(failure).rejects.toMatchObject({ reason: 'channel_refused' });
      expect(onlyRequest().channel).toBe(channel);
    });

    it('fails only the channel Twilio refuses: a text after a refused WhatsApp message goes through', async () => {
      twilio.failNextOn('whatsapp', 63003);
      const sender = adapter();

      await expect(sender.send(message('whatsapp'))).rejects.toMatchObject({ reason: 'channel_refused' });
      await expect(sender.send(message('sms'))).resolves.toHaveProperty('messageId');
      expect(twilio.requests.map((request) => request.channel)).toEqual(['whatsapp', 'sms']);
    });

    it('names TWILIO_WHATSAPP_CONTENT_SID when WhatsApp wants a template (63016)', async () => {
      twilio.failNextOn('whatsapp', 63016);

      await expect(adapter().send(message('whatsapp'))).rejects.toMatchObject({
        reason: 'channel_refused',
        details: { setting: 'TWILIO_WHATSAPP_CONTENT_SID' },
      });
    });

    it("names the channel's own sender setting when Twilio refuses the From", async () => {
      twilio.answerNext({ status: 400, body: { code: 21212, message: "The 'From' number is not valid", status: 400 } });

      await expect(adapter().send(message('voice'))).rejects.toMatchObject({
        reason: 'misconfigured',
        details: { setting: 'TWILIO_VOICE_FROM / TWILIO_FROM' },
      });
    });

    it('keeps the number refusals of texts as they were (21211 is invalid_number)', async () => {
      twilio.failNextOn('sms', 21211);

      await expect(adapter().send(message('sms'))).rejects.toMatchObject({ reason: 'invalid_number' });
    });
  });
});
