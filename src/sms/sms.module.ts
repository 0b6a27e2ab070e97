import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { smsConfig } from '../config';
import { EnvError } from '../config/env';
import { MockSmsAdapter } from './adapters/mock-sms.adapter';
import { createTwilioClient } from './adapters/twilio-client';
import { TwilioSmsAdapter, type TwilioSender } from './adapters/twilio-sms.adapter';
import { TwilioVerifyAdapter } from './adapters/twilio-verify.adapter';
import { WebhookSmsAdapter } from './adapters/webhook-sms.adapter';
import { SmsSender } from './sms-sender';

function required(value: string | undefined, name: string, provider: string): string {
  if (!value) throw new EnvError(name, `required when SMS_PROVIDER=${provider}`);
  return value;
}

/** The SDK wants the account SID (AC…); an API key SID (SK…) there fails only at the first SMS. */
function accountSid(value: string): string {
  if (!/^AC[0-9a-f]{32}$/i.test(value))
    throw new EnvError('TWILIO_ACCOUNT_SID', 'expected an account SID: AC followed by 32 hex digits');
  return value;
}

function twilioClient({ twilio, timeoutMs, provider }: ConfigType<typeof smsConfig>) {
  return createTwilioClient({
    accountSid: accountSid(required(twilio.accountSid, 'TWILIO_ACCOUNT_SID', provider)),
    authToken: required(twilio.authToken, 'TWILIO_AUTH_TOKEN', provider),
    timeoutMs,
    apiBaseUrl: twilio.apiBaseUrl,
  });
}

function twilioSender({ twilio }: ConfigType<typeof smsConfig>): TwilioSender {
  if (twilio.messagingServiceSid) return { messagingServiceSid: twilio.messagingServiceSid };
  if (twilio.from) return { from: twilio.from };
  throw new EnvError('TWILIO_FROM', 'set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID when SMS_PROVIDER=twilio');
}

/** Binds the port to the configured provider; incomplete settings stop the boot, naming the variable. */
export function createSmsSender(config: ConfigType<typeof smsConfig>): SmsSender {
  switch (config.provider) {
    case 'mock':
      return new MockSmsAdapter({ failureRate: config.mockFailureRate, outbox: config.mockOutbox });
    case 'twilio':
      return new TwilioSmsAdapter(twilioClient(config), twilioSender(config));
    case 'twilio-verify':
      return new TwilioVerifyAdapter(
        twilioClient(config),
        required(config.twilio.verifyServiceSid, 'TWILIO_VERIFY_SERVICE_SID', config.provider),
      );
    case 'webhook':
      return new WebhookSmsAdapter({
        url: required(config.webhook.url, 'SMS_WEBHOOK_URL', config.provider),
        secret: required(config.webhook.secret, 'SMS_WEBHOOK_SECRET', config.provider),
      });
    default:
      throw new EnvError(
        'SMS_PROVIDER',
        `unknown provider "${config.provider}": expected mock, twilio, twilio-verify or webhook`,
      );
  }
}

@Module({
  providers: [{ provide: SmsSender, inject: [smsConfig.KEY], useFactory: createSmsSender }],
  exports: [SmsSender],
})
export class SmsModule {}
