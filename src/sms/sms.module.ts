import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { smsConfig, type TwilioAccountConfig } from '../config';
import { MockSmsAdapter } from './adapters/mock-sms.adapter';
import { WebhookSmsAdapter } from './adapters/webhook-sms.adapter';
import { SmsNotices } from './sms-notices.service';
import { SmsSender } from './sms-sender';

/**
 * The Twilio SDK costs about 185 ms and 21 MB when it is loaded, so only a Twilio provider loads
 * it, with the adapters that need it at run time.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
const twilioModules = () => ({
  ...(require('./adapters/twilio-client') as typeof import('./adapters/twilio-client')),
  ...(require('./adapters/twilio-sms.adapter') as typeof import('./adapters/twilio-sms.adapter')),
  ...(require('./adapters/twilio-verify.adapter') as typeof import('./adapters/twilio-verify.adapter')),
});
/* eslint-enable @typescript-eslint/no-require-imports */

function twilioClient({ accountSid, authToken, apiBaseUrl }: TwilioAccountConfig, timeoutMs: number) {
  return twilioModules().createTwilioClient({ accountSid, authToken, apiBaseUrl, timeoutMs });
}

/** Binds the port to the configured provider; smsConfig has already refused unknown or incomplete settings. */
export function createSmsSender(config: ConfigType<typeof smsConfig>): SmsSender {
  switch (config.provider) {
    case 'mock':
      return new MockSmsAdapter(config.mock);
    case 'twilio': {
      const { sender, whatsappFrom, whatsappContentSid, voiceFrom, statusCallbackUrl } = config.twilio;
      return new (twilioModules().TwilioSmsAdapter)(twilioClient(config.twilio, config.timeoutMs), {
        appName: config.appName,
        sender,
        whatsappFrom,
        whatsappContentSid,
        voiceFrom,
        statusCallbackUrl,
      });
    }
    case 'twilio-verify':
      return new (twilioModules().TwilioVerifyAdapter)(
        twilioClient(config.twilio, config.timeoutMs),
        config.twilio.verifyServiceSid,
      );
    case 'webhook':
      return new WebhookSmsAdapter(config.webhook);
  }
}

@Module({
  providers: [{ provide: SmsSender, inject: [smsConfig.KEY], useFactory: createSmsSender }, SmsNotices],
  exports: [SmsSender, SmsNotices],
})
export class SmsModule {}
