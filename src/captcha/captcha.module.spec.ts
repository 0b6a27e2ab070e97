import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { captchaConfig } from '../config';
import { MemoryRateLimitStore } from '../rate-limit/memory-rate-limit.store';
import { RateLimitStore } from '../rate-limit/rate-limit.store';
import { CaptchaGate } from './captcha-gate.service';
import { CaptchaVerifier } from './captcha-verifier';
import { CaptchaModule } from './captcha.module';
import { SiteverifyCaptchaVerifier } from './siteverify-captcha.verifier';

/** What RateLimitModule provides the application, globally. */
@Global()
@Module({ providers: [{ provide: RateLimitStore, useValue: new MemoryRateLimitStore() }], exports: [RateLimitStore] })
class StoreModule {}

describe('CaptchaModule', () => {
  const saved = process.env;

  afterEach(() => {
    process.env = saved;
  });

  async function boot(env: Record<string, string>) {
    process.env = env;
    const app = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [captchaConfig] }),
        StoreModule,
        CaptchaModule,
      ],
    }).compile();
    return { gate: app.get(CaptchaGate), verifier: app.get<CaptchaVerifier>(CaptchaVerifier) };
  }

  it('binds the siteverify adapter and an enabled gate when a provider is configured', async () => {
    const { gate, verifier } = await boot({
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SECRET: 'secret',
      CAPTCHA_MODE: 'always',
    });

    expect(verifier).toBeInstanceOf(SiteverifyCaptchaVerifier);
    expect(gate).toMatchObject({ enabled: true, alwaysRequired: true });
  });

  it('boots without a provider, with a gate that is off and a verifier that refuses to be asked', async () => {
    const { gate, verifier } = await boot({});

    expect(gate).toMatchObject({ enabled: false, alwaysRequired: false });
    await expect(verifier.verify('token', undefined, new AbortController().signal)).rejects.toThrow(
      'CAPTCHA_PROVIDER=none',
    );
  });
});
