import { CreateUsersAndOtpCodes1764000000000 } from './1764000000000-create-users-and-otp-codes';

/** Listed explicitly so the same array serves the app, the TypeORM CLI and the tests (ts or js). */
export const migrations = [CreateUsersAndOtpCodes1764000000000];
