import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { smsConfig, type TwilioAccountConfig } from '../config';
import { MockSmsAdapter } from './adapters/mock-sms.adapter';
import { createTwilioClient } from './adapters/twilio-client';
import { TwilioSmsAdapter } from './adapters/twilio-sms.adapter';
import { TwilioVerifyAdapter } from './adapters/twilio-verify.adapter';
import { WebhookSmsAdapter } from './adapters/webhook-sms.adapter';
import { SmsSender } from './sms-sender';

function twilioClient({ accountSid, authToken, apiBaseUrl }: TwilioAccountConfig, timeoutMs: number) {
  return createTwilioClient({ accountSid, authToken, apiBaseUrl, timeoutMs });
}

/** Binds the port to the configured provider; smsConfig has already refused unknown or incomplete settings. */
export function createSmsSender(config: ConfigType<typeof smsConfig>): SmsSender {
  switch (config.provider) {
    case 'mock':
      return new MockSmsAdapter(config.mock);
    case 'twilio':
      return new TwilioSmsAdapter(twilioClient(config.twilio, config.timeoutMs), config.twilio.sender);
    case 'twilio-verify':
      return new TwilioVerifyAdapter(twilioClient(config.twilio, config.timeoutMs), config.twilio.verifyServiceSid);
    case 'webhook':
      return new WebhookSmsAdapter(config.webhook);
  }
}

@Module({
  providers: [{ provide: SmsSender, inject: [smsConfig.KEY], useFactory: createSmsSender }],
  exports: [SmsSender],
})
export class SmsModule {}
