import { CreateUsersAndOtpCodes1764000000000 } from './1764000000000-create-users-and-otp-codes';
import { CreateSessions1764100000000 } from './1764100000000-create-sessions';
import { PurposeBoundCodes1764200000000 } from './1764200000000-purpose-bound-codes';
import { SecondFactor1764300000000 } from './1764300000000-second-factor';
import { Passkeys1764400000000 } from './1764400000000-passkeys';
import { SmsDeliveries1764500000000 } from './1764500000000-sms-deliveries';
import { AuditAndAdmin1764600000000 } from './1764600000000-audit-and-admin';

/** Listed explicitly so the same array serves the app, the TypeORM CLI and the tests (ts or js). */
export const migrations = [
  CreateUsersAndOtpCodes1764000000000,
  CreateSessions1764100000000,
  PurposeBoundCodes1764200000000,
  SecondFactor1764300000000,
  Passkeys1764400000000,
  SmsDeliveries1764500000000,
  AuditAndAdmin1764600000000,
];
