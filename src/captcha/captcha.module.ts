import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { captchaConfig } from '../config';
import { CaptchaGate } from './captcha-gate.service';
import { CaptchaVerifier } from './captcha-verifier';
import { SiteverifyCaptchaVerifier } from './siteverify-captcha.verifier';

/** Stands in when CAPTCHA_PROVIDER=none, where CaptchaGate never asks a provider. */
const NO_VERIFIER: CaptchaVerifier = {
  verify: () => Promise.reject(new Error('CAPTCHA_PROVIDER=none: there is no captcha provider to ask')),
};

/** Binds the port to the configured provider; captchaConfig has already refused unknown or incomplete settings. */
export function createCaptchaVerifier(config: ConfigType<typeof captchaConfig>): CaptchaVerifier {
  return config.provider === 'none'
    ? NO_VERIFIER
    : new SiteverifyCaptchaVerifier({ provider: config.provider, ...config.siteverify });
}

@Module({
  providers: [
    { provide: CaptchaVerifier, inject: [captchaConfig.KEY], useFactory: createCaptchaVerifier },
    CaptchaGate,
  ],
  exports: [CaptchaGate],
})
export class CaptchaModule {}
