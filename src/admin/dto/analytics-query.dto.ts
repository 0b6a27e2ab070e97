import { ApiPropertyOptional } from '../../common/openapi';
import { IsDate, IsIn, IsOptional, ValidateBy } from 'class-validator';
import { isSupportedCountry } from 'libphonenumber-js';
import { TIMESTAMP_MESSAGE, TimestampParam } from './admin-query';

export const ANALYTICS_BUCKETS = ['hour', 'day'] as const;
export type AnalyticsBucket = (typeof ANALYTICS_BUCKETS)[number];

/** A country a phone number can belong to, as the audit trail records it: two capitals, e.g. US. */
const IsPhoneCountry = () =>
  ValidateBy({
    name: 'isPhoneCountry',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && /^[A-Z]{2}$/.test(value) && isSupportedCountry(value),
      defaultMessage: () => 'country must be an ISO 3166-1 alpha-2 country code in capitals, e.g. US',
    },
  });

export class AnalyticsQueryDto {
  @ApiPropertyOptional({
    type: String,
    example: '2026-07-01T00:00:00Z',
    description:
      'Start of the range (inclusive): a date (midnight UTC) or a timestamp with Z or an offset; default `to` − 7 days',
  })
  @IsOptional()
  @TimestampParam()
  @IsDate({ message: TIMESTAMP_MESSAGE })
  readonly from?: Date;

  @ApiPropertyOptional({
    type: String,
    example: '2026-07-08T00:00:00Z',
    description: 'End of the range (exclusive), after `from`; default now',
  })
  @IsOptional()
  @TimestampParam()
  @IsDate({ message: TIMESTAMP_MESSAGE })
  readonly to?: Date;

  @ApiPropertyOptional({
    enum: ANALYTICS_BUCKETS,
    description:
      'Length of a series bucket, aligned to UTC hours or days; default `day` for ranges over 2 days, else `hour`. At most 2000 buckets.',
  })
  @IsOptional()
  @IsIn(ANALYTICS_BUCKETS)
  readonly bucket?: AnalyticsBucket;

  @ApiPropertyOptional({
    example: 'US',
    pattern: '^[A-Z]{2}$',
    description: 'Only events of phone numbers of this country (ISO 3166-1 alpha-2); default every country',
  })
  @IsOptional()
  @IsPhoneCountry()
  readonly country?: string;
}
