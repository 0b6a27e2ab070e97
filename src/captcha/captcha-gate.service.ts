import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { ProblemException } from '../common/errors/problem.exception';
import { captchaConfig } from '../config';
import { RateLimitStore } from '../rate-limit/rate-limit.store';
import { CaptchaUnavailableError, CaptchaVerifier, type CaptchaAnswer } from './captcha-verifier';

/** Longer than any provider keeps a token valid (reCAPTCHA 2 minutes, Turnstile 5). */
const REPLAY_WINDOW_MS = 10 * 60_000;
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Checks the captcha token that lets a request send an SMS; the send path decides when one is needed. */
@Injectable()
export class CaptchaGate {
  /** A provider is configured (CAPTCHA_PROVIDER is not none). */
  readonly enabled: boolean;
  /** Every send needs a captcha (CAPTCHA_MODE=always), not only those the anti-fraud breaker challenges. */
  readonly alwaysRequired: boolean;

  constructor(
    @Inject(captchaConfig.KEY) private readonly config: ConfigType<typeof captchaConfig>,
    @Inject(CaptchaVerifier) private readonly verifier: CaptchaVerifier,
    @Inject(RateLimitStore) private readonly store: RateLimitStore,
  ) {
    this.enabled = config.provider !== 'none';
    this.alwaysRequired = this.enabled && config.mode === 'always';
  }

  /**
   * Resolves when `token` is a captcha solved for us and never presented before; otherwise throws
   * `captcha_required`, `captcha_invalid` or `captcha_unavailable`. Only call it when {@link enabled}.
   */
  async verify(token: string | undefined, clientIp: string | undefined): Promise<void> {
    if (!this.enabled) throw new Error('CaptchaGate.verify() called with CAPTCHA_PROVIDER=none');
    if (!token) throw new ProblemException('captcha_required');

    // One solve, one send, across every instance, without trusting each provider to catch parallel
    // checks of one token, and without a round trip for a replay. The key holds a hash, never the
    // token, which could still be presented while it lives.
    const key = `captcha:seen:${createHash('sha256').update(token).digest('hex')}`;
    const { count } = await this.store.increment(key, REPLAY_WINDOW_MS, 1);
    if (count > 1) throw new ProblemException('captcha_invalid');

    let answer: CaptchaAnswer;
    try {
      answer = await this.ask(token, clientIp);
    } catch (error) {
      if (!(error instanceof CaptchaUnavailableError)) throw error;
      // Fail closed: no SMS leaves on an unchecked captcha. The token was never judged, so it may come back.
      await this.store.reset([key]);
      throw new ProblemException('captcha_unavailable', { retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS, cause: error });
    }
    const refusal = this.refusal(answer);
    // Why goes to the log (the problem filter's line), never to the client, who could learn from it.
    if (refusal) throw new ProblemException('captcha_invalid', { cause: new Error(`Captcha refused: ${refusal}`) });
  }

  /** Why an answer does not let the request through, or undefined when it does. */
  private refusal({ success, errorCodes, hostname, score }: CaptchaAnswer): string | undefined {
    if (!success) return `the provider said no (${errorCodes.join(', ') || 'no error codes'})`;
    if (score !== undefined && score < this.config.minScore) {
      return `score ${score} is below CAPTCHA_MIN_SCORE ${this.config.minScore}`;
    }
    const { hostnames } = this.config;
    if (hostnames.length && !(hostname && hostnames.includes(hostname.toLowerCase()))) {
      return `solved on ${hostname ?? 'an unreported site'}, not on one of CAPTCHA_HOSTNAMES`;
    }
    return undefined;
  }

  /**
   * One siteverify call under CAPTCHA_TIMEOUT. A cleared timer rather than AbortSignal.timeout(),
   * whose timer outlives every answer by the whole timeout (see callWithTimeout in src/sms/).
   */
  private async ask(token: string, clientIp: string | undefined): Promise<CaptchaAnswer> {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException('CAPTCHA_TIMEOUT', 'TimeoutError')),
      this.config.timeoutMs,
    );
    try {
      return await this.verifier.verify(token, clientIp, deadline.signal);
    } finally {
      clearTimeout(timer);
    }
  }
}
