import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiNoContentResponse, ApiOperation, ApiTags } from '../common/openapi';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiProblems, BODY_PROBLEMS } from '../common/api-problems.decorator';
import { Public } from '../common/auth.decorators';
import { AcceptsFormBody, FORM_MEDIA_TYPE, KeepsRawBody } from '../common/body-formats';
import { TwilioReceiptCheck, TwilioReceiptPipe, WebhookReceiptCheck } from '../sms/receipt-checks';
import type { ProviderReceipt } from '../sms/receipt-statuses';
import { DeliveryReceipts } from './delivery-receipts.service';
import { TWILIO_STATUS_CALLBACK_SCHEMA, WebhookReceiptDto } from './dto/delivery-receipt.dto';

/** Not `rate_limited`: the per-IP throttle is skipped here (see below). */
const RECEIPT_PROBLEMS = [
  ...BODY_PROBLEMS,
  'unauthorized',
  'not_found',
  'service_unavailable',
  'internal_error',
] as const;

/**
 * Providers report here what became of each message after they accepted it; signed, never by a
 * user. The per-IP throttle would drop them: a provider posts every receipt from a few addresses
 * and does not retry, and the fallback depends on them. A forgery costs one HMAC to refuse.
 */
@ApiTags('sms')
@Public()
@SkipThrottle()
@Controller('api/sms/status')
export class DeliveryReceiptsController {
  constructor(private readonly receipts: DeliveryReceipts) {}

  @Post('twilio')
  @HttpCode(HttpStatus.NO_CONTENT)
  @AcceptsFormBody()
  @UseGuards(TwilioReceiptCheck)
  @ApiOperation({
    summary: "Twilio's status callback for a message or call",
    description:
      'Twilio posts here (TWILIO_STATUS_CALLBACK_URL) as a message or call changes status. Checked with ' +
      '`X-Twilio-Signature` for TWILIO_AUTH_TOKEN and that URL. Statuses that say nothing about delivery ' +
      '(`receiving`, …) and unknown message SIDs are accepted and change nothing. `not_found` unless ' +
      'SMS_PROVIDER=twilio with TWILIO_STATUS_CALLBACK_URL set.',
  })
  @ApiConsumes(FORM_MEDIA_TYPE)
  @ApiBody({ schema: TWILIO_STATUS_CALLBACK_SCHEMA })
  @ApiHeader({ name: 'x-twilio-signature', required: true, description: "Twilio's signature of the URL and fields" })
  @ApiNoContentResponse({ description: 'Recorded, or nothing to record' })
  @ApiProblems(...RECEIPT_PROBLEMS)
  async twilio(@Body(TwilioReceiptPipe) receipt: ProviderReceipt | null): Promise<void> {
    if (receipt) await this.receipts.record(receipt);
  }

  @Post('webhook')
  @HttpCode(HttpStatus.NO_CONTENT)
  @KeepsRawBody()
  @UseInterceptors(WebhookReceiptCheck)
  @ApiOperation({
    summary: "The SMS gateway's delivery receipt",
    description:
      'For SMS_PROVIDER=webhook: the gateway reports what became of a message it was handed, naming it by that ' +
      "request's `message_id`. Signed like the requests it receives (Standard Webhooks, SMS_WEBHOOK_SECRET) over " +
      'the exact body; refused when more than 5 minutes old or ahead, or when its `webhook-id` was already received. ' +
      'Unknown message ids are accepted and change nothing. `not_found` unless SMS_PROVIDER=webhook.',
  })
  @ApiHeader({ name: 'webhook-id', required: true, description: 'Unique per receipt; a repeated one is refused' })
  @ApiHeader({ name: 'webhook-timestamp', required: true, description: 'Unix seconds', example: '1767225600' })
  @ApiHeader({
    name: 'webhook-signature',
    required: true,
    description: 'Space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`',
  })
  @ApiNoContentResponse({ description: 'Recorded, or nothing to record' })
  @ApiProblems(...RECEIPT_PROBLEMS)
  webhook(@Body() body: WebhookReceiptDto): Promise<void> {
    return this.receipts.record({ messageId: body.message_id, status: body.status, errorCode: body.error_code });
  }
}
