import { Logger } from '@nestjs/common';
import fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmsDeliveryError, type CodeMessage } from '../sms-sender';
import { MockSmsAdapter } from './mock-sms.adapter';

const MESSAGE: CodeMessage = {
  to: '+12015550123',
  code: '123456',
  body: 'Your Acme code is 123456. It expires in 5 minutes.',
  locale: 'en',
};
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
      await expect(adapter().send(MESSAGE)).resolves.toBeUndefined();

      expect(log).toHaveBeenCalledTimes(1);
      expect(log).toHaveBeenCalledWith(`SMS to ${MESSAGE.to}: ${MESSAGE.body}`);
    });

    it('appends one JSON line with to, body and sent_at, creating the folders', async () => {
      await expect(adapter().send(MESSAGE)).resolves.toBeUndefined();

      await expect(outboxLines()).resolves.toEqual([
        { kind: 'code', to: MESSAGE.to, body: MESSAGE.body, sent_at: NOW.toISOString() },
      ]);
    });

    it('appends rather than overwrites', async () => {
      const sender = adapter();
      await sender.send(MESSAGE);
      jest.setSystemTime(NOW.getTime() + 1_000);
      await sender.send({ to: '+447911123456', code: '654321', body: 'second', locale: 'en' });

      await expect(outboxLines()).resolves.toEqual([
        { kind: 'code', to: MESSAGE.to, body: MESSAGE.body, sent_at: NOW.toISOString() },
        { kind: 'code', to: '+447911123456', body: 'second', sent_at: new Date(NOW.getTime() + 1_000).toISOString() },
      ]);
    });

    it('writes notices to the outbox as kind notice, beside the codes', async () => {
      const sender = adapter();
      await sender.send(MESSAGE);
      await sender.notify({ to: MESSAGE.to, body: 'Your number was changed.', locale: 'en' });

      await expect(outboxLines()).resolves.toEqual([
        expect.objectContaining({ kind: 'code', body: MESSAGE.body }),
        { kind: 'notice', to: MESSAGE.to, body: 'Your number was changed.', sent_at: NOW.toISOString() },
      ]);
    });

    it('writes nothing when no outbox is configured', async () => {
      const append = jest.spyOn(fsp, 'appendFile');
      const mkdir = jest.spyOn(fsp, 'mkdir');

      await expect(
        new MockSmsAdapter({ failureRate: 0.05, random: () => 0.99 }).send(MESSAGE),
      ).resolves.toBeUndefined();

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
    await expect(adapter.send(MESSAGE)).resolves.toBeUndefined();
  });

  it('always fails with a failure rate of 1, even for the highest draw', async () => {
    const adapter = new MockSmsAdapter({ failureRate: 1, random: () => 0.999_999_999 });
    await expect(adapter.send(MESSAGE)).rejects.toMatchObject({ name: 'SmsDeliveryError' });
  });

  it('draws from Math.random when no random source is given', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);

    await expect(new MockSmsAdapter({ failureRate: 0.4 }).send(MESSAGE)).resolves.toBeUndefined();
    await expect(new MockSmsAdapter({ failureRate: 0.6 }).send(MESSAGE)).rejects.toBeInstanceOf(SmsDeliveryError);
    expect(random).toHaveBeenCalledTimes(2);
  });
});
