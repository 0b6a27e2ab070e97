import { Injectable } from '@nestjs/common';
import { CaptchaGate } from '../captcha/captcha-gate.service';
import { ProblemException } from '../common/errors/problem.exception';
import { MetricsService } from '../metrics/metrics.service';
import { PumpingBreaker } from './pumping-breaker.service';

/** What the client sent that screening may need. */
export interface SendContext {
  captchaToken?: string;
  clientIp?: string;
}

/** What admit() learnt, for sent(). */
export interface Admission {
  captchaPassed: boolean;
}

/**
 * Screens codes texted to numbers the caller has not proven yet (sign-in, phone change, account
 * recovery) against SMS pumping: the conversion breaker, and a captcha where CAPTCHA_MODE or the
 * breaker asks for one. OtpSender calls admit() before anything is counted, sent() once the send
 * limits let the SMS go (the breaker's count, which may still refuse), and verified() when such a
 * code is redeemed.
 */
@Injectable()
export class SendScreening {
  constructor(
    private readonly breaker: PumpingBreaker,
    private readonly captcha: CaptchaGate,
    private readonly metrics: MetricsService,
  ) {}

  async admit(phoneNumber: string, { captchaToken, clientIp }: SendContext): Promise<Admission> {
    const risk = await this.breaker.screen(phoneNumber);
    if (!(this.captcha.alwaysRequired || risk === 'challenge')) return { captchaPassed: false };
    try {
      await this.captcha.verify(captchaToken, clientIp);
    } catch (error) {
      if (error instanceof ProblemException) this.metrics.sendRefused(error.code);
      throw error;
    }
    return { captchaPassed: true };
  }

  async sent(phoneNumber: string, admission: Admission): Promise<void> {
    try {
      await this.breaker.recordSend(phoneNumber, admission);
    } catch (error) {
      if (error instanceof ProblemException && error.code === 'captcha_required') this.metrics.sendRefused(error.code);
      throw error;
    }
  }

  verified(phoneNumber: string): Promise<void> {
    return this.breaker.recordVerified(phoneNumber);
  }
}
