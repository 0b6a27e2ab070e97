import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { appConfig, otpConfig } from '../config';
import { OtpModule } from './otp.module';

/** OtpModule reads only `production` from the app namespace. */
const APP = { production: true } as ConfigType<typeof appConfig>;

/** OtpModule reads only `testNumbers` from the OTP namespace. */
const otpWith = (numbers: [string, string][]) =>
  ({ testNumbers: new Map(numbers) }) as unknown as ConfigType<typeof otpConfig>;

describe('OtpModule', () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => warn.mockRestore());

  it('warns at a production boot that OTP_TEST_NUMBERS is set, listing every number but no code', () => {
    new OtpModule(
      APP,
      otpWith([
        ['+12015550111', '424242'],
        ['+447911123456', '135790'],
      ]),
    ).onApplicationBootstrap();

    expect(warn).toHaveBeenCalledTimes(1);
    const [message] = warn.mock.calls[0] as [string];
    expect(message).toContain('OTP_TEST_NUMBERS');
    expect(message).toContain('+12015550111');
    expect(message).toContain('+447911123456');
    expect(message).not.toMatch(/424242|135790/);
    expect(warn.mock.instances[0]).toMatchObject({ context: 'OtpModule' });
  });

  it('stays quiet in production when no test numbers are set', () => {
    new OtpModule(APP, otpWith([])).onApplicationBootstrap();

    expect(warn).not.toHaveBeenCalled();
  });

  it('stays quiet with test numbers outside production', () => {
    new OtpModule({ ...APP, production: false }, otpWith([['+12015550111', '424242']])).onApplicationBootstrap();

    expect(warn).not.toHaveBeenCalled();
  });
});
