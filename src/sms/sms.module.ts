import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { smsConfig } from '../config';
import { MockSmsAdapter } from './adapters/mock-sms.adapter';
import { SmsSender } from './sms-sender';

export function createSmsSender(config: ConfigType<typeof smsConfig>): SmsSender {
  switch (config.provider) {
    case 'mock':
      return new MockSmsAdapter({ failureRate: config.mockFailureRate, outbox: config.mockOutbox });
    default:
      throw new Error(`Unknown SMS_PROVIDER "${config.provider}": expected mock`);
  }
}

@Module({
  providers: [{ provide: SmsSender, inject: [smsConfig.KEY], useFactory: createSmsSender }],
  exports: [SmsSender],
})
export class SmsModule {}
