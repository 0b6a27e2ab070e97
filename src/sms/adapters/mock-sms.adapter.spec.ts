import { Logger } from '@nestjs/common';
import fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmsDeliveryError, type Channel, type CodeMessage } from '../sms-sender';
import { MockSmsAdapter } from './mock-sms.adapter';

const MESSAGE: CodeMessage = {
  to: '+12015550123',
  code: '123456',
  body: 'Your Acme code is 123456. It expires in 5 minutes.',
  locale: 'en',
  channel: 'sms',
};
const MESSAGE_ID = /^mock_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOW = new Date('2026-07-08T12:34:56.789Z');

describe('MockSmsAdapter', () => {
  let dir: string;
  let outbox: string;
  let log: jest.SpyInstance;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'mock-sms-'));
    outbox = join(dir, 'nested', 'deeper', 'sms-outbox.jsonl');
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    jest.setSystemTime(NOW);
  });

  afterEach(async () => {
    jest.useRealTimers();
    jest.restoreAllMocks();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function outboxLines(): Promise<unknown[]> {
    const text = await fsp.readFile(outbox, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    return text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
  }

  describe('when the draw is above the failure rate', () => {
    const adapter = () => new MockSmsAdapter({ failureRate: 0.05, outbox, random: () => 0.99 });

    it('logs the recipient and the message', async () => {
      await expect(adapter().send(MESSAGE)).resolves.toEqual({ messageId: expect.stringMatching(MESSAGE_ID) });

      expect(log).toHaveBeenCalledTimes(1);
      expect(log).toHaveBeenCalledWith(`SMS to ${MESSAGE.to}: ${MESSAGE.body}`);
    });

    it('appends one JSON line with kind, channel, to, body and sent_at, creating the folders', async () => {
      await expect(adapter().send(MESSAGE)).resolves.toEqual({ messageId: expect.stringMatching(MESSAGE_ID) });

      const text = await fsp.readFile(outbox, 'utf8');
      expect(Object.keys(JSON.parse(text) as object)).toEqual(['kind', 'channel', 'to', 'body', 'sent_at']);
      await expect(outboxLines()).resolves.toEqual([
        { kind: 'code', channel: 'sms', to: MESSAGE.to, body: MESSAGE.body, sent_at: NOW.toISOString() },
      ]);
    });

    it('delivers on every channel', () => {
      expect(adapter().channels).toEqual(['sms', 'whatsapp', 'voice']);
    });

    it.each<[Channel, string]>([
      ['sms', 'SMS'],
      ['whatsapp', 'WhatsApp message'],
      ['voice', 'Call'],
    ])('writes a %s code with its channel and logs it as a %s', async (channel, name) => {
      await expect(adapter().send({ ...MESSAGE, channel })).resolves.toEqual({
        messageId: expect.stringMatching(MESSAGE_ID),
      });

      expect(log).toHaveBeenCalledWith(`${name} to ${MESSAGE.to}: ${MESSAGE.body}`);
      await expect(outboxLines()).resolves.toEqual([
        { kind: 'code', channel, to: MESSAGE.to, body: MESSAGE.body, sent_at: NOW.toISOString() },
      ]);
    });

    it('names each message with an id of its own', async () => {
      const sender = adapter();
      const sent = await Promise.all([sender.send(MESSAGE), sender.send(MESSAGE), sender.send(MESSAGE)]);

      expect(new Set(sent.map((message) => message.messageId)).size).toBe(3);
    });

    it('appends rather than overwrites', async () => {
      const sender = adapter();
      await sender.send(MESSAGE);
      jest.setSystemTime(NOW.getTime() + 1_000);
      await sender.send({ to: '+447911123456', code: '654321', body: 'second', locale: 'en', channel: 'whatsapp' });

      await expect(outboxLines()).resolves.toEqual([
        { kind: 'code', channel: 'sms', to: MESSAGE.to, body: MESSAGE.body, sent_at: NOW.toISOString() },
        {
          kind: 'code',
          channel: 'whatsapp',
          to: '+447911123456',
          body: 'second',
          sent_at: new Date(NOW.getTime() + 1_000).toISOString(),
        },
      ]);
    });

    it('writes notices to the outbox as kind notice, without a channel, beside the codes', async () => {
      const sender = adapter();
      await sender.send(MESSAGE);
      await expect(
        sender.notify({ to: MESSAGE.to, body: 'Your number was changed.', locale: 'en' }),
      ).resolves.toBeUndefined();

      await expect(outboxLines()).resolves.toEqual([
        expect.objectContaining({ kind: 'code', body: MESSAGE.body }),
        { kind: 'notice', to: MESSAGE.to, body: 'Your number was changed.', sent_at: NOW.toISOString() },
      ]);
    });

    it('writes nothing when no outbox is configured', async () => {
      const append = jest.spyOn(fsp, 'appendFile');
      const mkdir = jest.spyOn(fsp, 'mkdir');

      await expect(new MockSmsAdapter({ failureRate: 0.05, random: () => 0.99 }).send(MESSAGE)).resolves.toEqual({
        messageId: expect.stringMatching(MESSAGE_ID),
      });

      expect(log).toHaveBeenCalledTimes(1);
      expect(append).not.toHaveBeenCalled();
      expect(mkdir).not.toHaveBeenCalled();
    });
  });

  describe('when the draw is below the failure rate', () => {
    it('rejects with SmsDeliveryError and neither logs a delivery nor writes the outbox', async () => {
      const adapter = new MockSmsAdapter({ failureRate: 0.05, outbox, random: () => 0.01 });

      await expect(adapter.send(MESSAGE)).rejects.toBeInstanceOf(SmsDeliveryError);

      expect(log).not.toHaveBeenCalled();
      await expect(fsp.access(outbox)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  it('never fails with a failure rate of 0, even for the lowest draw', async () => {
    const adapter = new MockSmsAdapter({ failureRate: 0, random: () => 0 });
    await expect(adapter.send(MESSAGE)).resolves.toHaveProperty('messageId');
  });

  it('always fails with a failure rate of 1, even for the highest draw', async () => {
    const adapter = new MockSmsAdapter({ failureRate: 1, random: () => 0.999_999_999 });
    await expect(adapter.send(MESSAGE)).rejects.toMatchObject({ name: 'SmsDeliveryError' });
  });

  it('draws from Math.random when no random source is given', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);

    await expect(new MockSmsAdapter({ failureRate: 0.4 }).send(MESSAGE)).resolves.toHaveProperty('messageId');
    await expect(new MockSmsAdapter({ failureRate: 0.6 }).send(MESSAGE)).rejects.toBeInstanceOf(SmsDeliveryError);
    expect(random).toHaveBeenCalledTimes(2);
  });
});
