import { ApiProperty, ApiPropertyOptional } from '../../common/openapi';
import type { SchemaObject } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { RECEIPT_STATUSES, type ReceiptStatus } from '../../sms/receipt-statuses';

/** A delivery receipt from the operator's gateway (SMS_PROVIDER=webhook). */
export class WebhookReceiptDto {
  @ApiProperty({
    example: 'msg_0b7f3c4e-3a52-4d4b-9f6e-2f1a8c9d0e11',
    minLength: 1,
    maxLength: 128,
    description: 'The `message_id` (also its `webhook-id`) of the request that handed the message to the gateway',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  readonly message_id: string;

  @ApiProperty({ enum: RECEIPT_STATUSES, example: 'delivered', description: 'What happened to the message' })
  @IsIn(RECEIPT_STATUSES, { message: `status must be one of ${RECEIPT_STATUSES.join(', ')}` })
  readonly status: ReceiptStatus;

  @ApiPropertyOptional({
    example: '30003',
    maxLength: 64,
    description: "The gateway's or carrier's error code, for undelivered and failed messages",
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  readonly error_code?: string;
}

const twilioField = (description: string, example: string): SchemaObject => ({
  type: 'string',
  description,
  example,
});

/** Twilio's status callback as the docs show it; the fields read, of the many Twilio posts (all signed). */
export const TWILIO_STATUS_CALLBACK_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    MessageSid: twilioField('The message (SMS or WhatsApp) the receipt is for', 'SM' + '0123456789abcdef'.repeat(2)),
    MessageStatus: twilioField(
      'accepted, scheduled, queued, sending, sent, delivered, read, undelivered, failed or canceled',
      'delivered',
    ),
    ErrorCode: twilioField('Twilio error code of an undelivered or failed message', '30003'),
    CallSid: twilioField('The call the receipt is for, when it is a voice code', 'CA' + '0123456789abcdef'.repeat(2)),
    CallStatus: twilioField(
      'queued, initiated, ringing, in-progress, completed, busy, no-answer, failed or canceled',
      'completed',
    ),
  },
  additionalProperties: true,
};
