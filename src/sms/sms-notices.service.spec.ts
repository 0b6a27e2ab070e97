import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { smsConfig } from '../config';
import { SMS_LOCALES } from './code-message';
import { renderPhoneChangedNotice } from './notice-message';
import { SmsNotices } from './sms-notices.service';
import { CHANNELS, SmsDeliveryError, type NoticeMessage, type SmsSender } from './sms-sender';

const SMS = { provider: 'mock', appName: 'Acme', timeoutMs: 1_000 } as ConfigType<typeof smsConfig>;

describe('SmsNotices', () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('texts the old number the phone-changed notice in the locale asked for', async () => {
    const notify = jest.fn<Promise<void>, [NoticeMessage, AbortSignal]>().mockResolvedValue(undefined);
    const sender: SmsSender = { channels: CHANNELS, send: jest.fn(), notify };

    await expect(new SmsNotices(sender, SMS).phoneNumberChanged('+12015550123', 'de')).resolves.toBe(true);

    expect(notify).toHaveBeenCalledWith(
      { to: '+12015550123', locale: 'de', body: renderPhoneChangedNotice('Acme', 'de') },
      expect.any(AbortSignal),
    );
  });

  it('logs and answers false when the provider fails, so the change it reports still stands', async () => {
    const sender: SmsSender = {
      channels: CHANNELS,
      send: jest.fn(),
      notify: () => Promise.reject(new SmsDeliveryError('down')),
    };

    await expect(new SmsNotices(sender, SMS).phoneNumberChanged('+12015550123', 'en')).resolves.toBe(false);

    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^Notice to \+1201\S+ failed: down$/));
  });

  it('logs and answers false for a provider that cannot text notices (Twilio Verify)', async () => {
    const sender: SmsSender = { channels: CHANNELS, send: jest.fn(), check: jest.fn() };

    await expect(
      new SmsNotices(sender, { ...SMS, provider: 'twilio-verify' } as typeof SMS).phoneNumberChanged(
        '+12015550123',
        'en',
      ),
    ).resolves.toBe(false);

    expect(warn).toHaveBeenCalledWith(expect.stringContaining('SMS_PROVIDER twilio-verify cannot text notices'));
  });

  it('words the notice in every locale, with the app name and without any code', () => {
    for (const locale of SMS_LOCALES) {
      const text = renderPhoneChangedNotice('Acme', locale);
      expect(text).toContain('Acme');
      expect(text).not.toMatch(/\d/);
    }
  });
});
