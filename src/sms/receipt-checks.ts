import {
  Inject,
  Injectable,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import { isFormBody, rawBodyOf } from '../common/body-formats';
import { ProblemException } from '../common/errors/problem.exception';
import { smsConfig } from '../config';
import { RateLimitStore } from '../rate-limit/rate-limit.store';
import { checkTwilioSignature, checkWebhookSignature, type WebhookSignatureCheck } from './receipt-signatures';
import { twilioReceipt, type ProviderReceipt } from './receipt-statuses';

/** Twice the timestamp tolerance: an id stays known for as long as a request carrying it is fresh. */
const SEEN_IDS_WINDOW_MS = 10 * 60_000;

const REFUSALS: Record<Exclude<WebhookSignatureCheck, { valid: true }>['reason'] | 'replayed', string> = {
  unsigned: 'The callback needs webhook-id, webhook-timestamp (unix seconds) and webhook-signature headers.',
  stale: 'The callback is more than 5 minutes old (webhook-timestamp).',
  future: 'The callback is dated more than 5 minutes ahead (webhook-timestamp).',
  mismatch: 'No webhook-signature matches the body for SMS_WEBHOOK_SECRET.',
  replayed: 'This webhook-id was already received.',
};

const unauthorized = (detail: string) => new ProblemException('unauthorized', { detail });
const notFound = () => new ProblemException('not_found');

/**
 * Twilio's status callbacks: 404 unless SMS_PROVIDER=twilio asks for receipts
 * (TWILIO_STATUS_CALLBACK_URL), 415 unless a form, 401 unless Twilio signed it. A forged receipt
 * could mark messages delivered or failed at will (and a failed one may send the code again), so
 * nothing reaches the handler unsigned.
 */
@Injectable()
export class TwilioReceiptCheck implements CanActivate {
  constructor(@Inject(smsConfig.KEY) private readonly sms: ConfigType<typeof smsConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.sms.provider !== 'twilio' || !this.sms.twilio.statusCallbackUrl) throw notFound();
    const { authToken, statusCallbackUrl } = this.sms.twilio;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!isFormBody(request)) {
      throw new ProblemException('unsupported_media_type', {
        detail: 'Twilio status callbacks are application/x-www-form-urlencoded.',
      });
    }
    const params = request.body as Record<string, string | string[]>;
    if (!checkTwilioSignature(authToken, request.headers['x-twilio-signature'], statusCallbackUrl, params)) {
      throw unauthorized('X-Twilio-Signature is missing or does not match TWILIO_AUTH_TOKEN and the callback URL.');
    }
    return true;
  }
}

/** The receipt in a signed Twilio form; null when its status is not one to record. */
@Injectable()
export class TwilioReceiptPipe implements PipeTransform<Record<string, string | string[]>, ProviderReceipt | null> {
  transform(form: Record<string, string | string[]>): ProviderReceipt | null {
    return twilioReceipt(form);
  }
}

/**
 * The gateway's receipts (SMS_PROVIDER=webhook): 404 under another provider, 401 unless signed
 * with SMS_WEBHOOK_SECRET over the exact body, fresh, and the first with its `webhook-id`. An
 * interceptor rather than a guard, because it runs before the body's validation (a forgery is
 * refused before it learns anything about the payload) and still sees how the request ends: a
 * receipt that failed (400, 503) forgets its id again, since Standard Webhooks senders retry with
 * the same one.
 */
@Injectable()
export class WebhookReceiptCheck implements NestInterceptor {
  constructor(
    @Inject(smsConfig.KEY) private readonly sms: ConfigType<typeof smsConfig>,
    @Inject(RateLimitStore) private readonly store: RateLimitStore,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (this.sms.provider !== 'webhook') throw notFound();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const { headers } = request;
    const check = checkWebhookSignature(
      this.sms.webhook.secret,
      { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'] },
      rawBodyOf(request) ?? '',
    );
    if (!check.valid) throw unauthorized(REFUSALS[check.reason]);
    // Checked after the signature, so only the gateway can spend an id.
    const key = `sms:receipt:${check.id}`;
    const { count } = await this.store.increment(key, SEEN_IDS_WINDOW_MS, 1);
    if (count > 1) throw unauthorized(REFUSALS.replayed);
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          from(this.store.reset([key]).catch(() => undefined)).pipe(mergeMap(() => throwError(() => error))),
        ),
      );
  }
}
