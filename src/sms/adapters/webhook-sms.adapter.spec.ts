import { WebhookReceiver } from '../../../test/helpers/webhook-receiver';
import type { Channel, CodeMessage, SmsFailure } from '../sms-sender';
import { WebhookSmsAdapter } from './webhook-sms.adapter';

const SECRET = 'whsec-test-secret-of-reasonable-length';
const TO = '+12015550123';

const message = (channel: Channel): CodeMessage => ({
  to: TO,
  code: '012345',
  body: 'Tu código de Acme es 012345. Caduca en 5 minutos.',
  locale: 'es',
  channel,
});

describe('WebhookSmsAdapter', () => {
  let hook: WebhookReceiver;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    hook = await WebhookReceiver.start(SECRET);
  });
  afterAll(() => hook.close());
  afterEach(() => hook.reset());

  const adapter = () => new WebhookSmsAdapter({ url: hook.url, secret: SECRET });

  it('offers every channel: the gateway delivers on the one the payload names', () => {
    expect(adapter().channels).toEqual(['sms', 'whatsapp', 'voice']);
  });

  it.each<Channel>(['sms', 'whatsapp', 'voice'])(
    'posts a signed %s code naming its channel and its message_id, the webhook-id, which it answers with',
    async (channel) => {
      const sent = await adapter().send(message(channel), signal);

      expect(hook.received).toHaveLength(1);
      const [received] = hook.received;
      expect(received.signatureValid).toBe(true);
      const id = received.headers['webhook-id'];
      expect(id).toMatch(/^msg_[0-9a-f-]{36}$/);
      expect(received.payload).toEqual({
        type: 'otp',
        message_id: id,
        channel,
        to: TO,
        code: '012345',
        body: message(channel).body,
        locale: 'es',
      });
      expect(sent).toEqual({ messageId: id });
    },
  );

  it('gives every message an id of its own', async () => {
    const sender = adapter();
    const sent = [await sender.send(message('sms'), signal), await sender.send(message('sms'), signal)];

    expect(sent[0].messageId).not.toBe(sent[1].messageId);
    expect(hook.received.map((r) => r.payload.message_id)).toEqual(sent.map((s) => s.messageId));
  });

  it('posts notices with a message_id and without a channel', async () => {
    await expect(
      adapter().notify({ to: TO, body: 'Your number was changed.', locale: 'en' }, signal),
    ).resolves.toBeUndefined();

    const [received] = hook.received;
    expect(received.payload).toEqual({
      type: 'notice',
      message_id: received.headers['webhook-id'],
      to: TO,
      body: 'Your number was changed.',
      locale: 'en',
    });
  });

  it.each<[string, SmsFailure]>([
    ['channel_not_enabled', 'channel_refused'],
    ['invalid_phone_number', 'invalid_number'],
    ['phone_not_allowed', 'not_allowed'],
    ['carrier_on_strike', 'unavailable'],
  ])('rejects a 422 {"code": "%s"} as %s', async (code, reason) => {
    hook.refuseNext(code);

    await expect(adapter().send(message('whatsapp'), signal)).rejects.toMatchObject({
      name: 'SmsDeliveryError',
      reason,
    });
    expect(hook.received).toHaveLength(1);
  });

  it('says the gateway refused the channel, not the number, for channel_not_enabled', async () => {
    hook.refuseNext('channel_not_enabled');

    await expect(adapter().send(message('voice'), signal)).rejects.toThrow(
      'The SMS webhook refused the channel for this number (channel_not_enabled)',
    );
  });
});
