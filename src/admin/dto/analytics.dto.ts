import { ApiProperty } from '../../common/openapi';
import { ANALYTICS_BUCKETS, type AnalyticsBucket } from './analytics-query.dto';

/** What a series bucket counts. */
export class AnalyticsCountsDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 120,
    description: 'Codes issued (`code_sent`, test numbers included, fallback messages not)',
  })
  readonly sent: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 96, description: 'Codes redeemed (`code_verified`)' })
  readonly verified: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 14,
    description: 'Wrong or expired guesses and burned codes (`code_failed` + `code_burned`)',
  })
  readonly failed: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 7,
    description: 'Sends refused (`code_send_refused`), whatever the reason',
  })
  readonly refused: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    example: 0.8,
    description:
      'verified ÷ sent; null when nothing was sent. Can exceed 1 when codes sent before the range are redeemed in it.',
  })
  readonly conversion: number | null;

  @ApiProperty({ type: 'integer', minimum: 0, example: 30, description: 'Sign-ins that created the user' })
  readonly new_users: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 66, description: 'Sign-ins of an existing user' })
  readonly returning_users: number;
}

export class AnalyticsBucketDto extends AnalyticsCountsDto {
  @ApiProperty({
    format: 'date-time',
    example: '2026-07-01T00:00:00.000Z',
    description: 'Start of the bucket (UTC-aligned)',
  })
  readonly start: string;
}

/** The counts of a country or the whole range, with the median verify time and the SMS spend. */
export class AnalyticsStatsDto extends AnalyticsCountsDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    example: 23.5,
    description: 'Median seconds from a code’s send to its redemption; null when none was redeemed',
  })
  readonly median_verify_seconds: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    example: 1.2345,
    description:
      'Estimated SMS cost in `currency`: messages (codes and fallbacks, not test numbers) × SMS_PRICES; null when SMS_PRICES is empty or prices no message of this country',
  })
  readonly sms_spend: number | null;
}

export class AnalyticsCountryDto extends AnalyticsStatsDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'US',
    description: 'ISO country of the numbers; null for numbers of no country',
  })
  readonly country: string | null;
}

export class AnalyticsDto {
  @ApiProperty({
    format: 'date-time',
    example: '2026-07-01T00:00:00.000Z',
    description: 'Start of the range (inclusive)',
  })
  readonly from: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-07-08T00:00:00.000Z',
    description: 'End of the range (exclusive)',
  })
  readonly to: string;

  @ApiProperty({ enum: ANALYTICS_BUCKETS, example: 'day' })
  readonly bucket: AnalyticsBucket;

  @ApiProperty({ example: 'USD', description: 'Currency of `sms_spend` (SMS_PRICE_CURRENCY)' })
  readonly currency: string;

  @ApiProperty({ type: AnalyticsStatsDto, description: 'The whole range' })
  readonly totals: AnalyticsStatsDto;

  @ApiProperty({
    type: [AnalyticsBucketDto],
    description:
      'One per bucket from the one holding `from` to the one holding the end, oldest first, empty ones included',
  })
  readonly series: AnalyticsBucketDto[];

  @ApiProperty({
    type: [AnalyticsCountryDto],
    description: 'Countries with any event in the range, most codes sent first',
  })
  readonly by_country: AnalyticsCountryDto[];

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 1 },
    example: { cooldown: 3, phone_limit: 1 },
    description: 'Refused sends per reason (`code_send_refused`), most frequent first',
  })
  readonly refused_by_reason: Record<string, number>;
}
