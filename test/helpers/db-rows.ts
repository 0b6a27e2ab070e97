import type { DataSource } from 'typeorm';
import { OtpCode } from '../../src/otp/otp-code.entity';
import { User } from '../../src/users/user.entity';

/** Every code issued to `phoneNumber` (E.164), oldest first. */
export function otpRows(db: DataSource, phoneNumber: string): Promise<OtpCode[]> {
  return db.getRepository(OtpCode).find({ where: { phoneNumber }, order: { id: 'ASC' } });
}

/** The newest code issued to `phoneNumber`; fails the test when there is none. */
export async function latestOtpRow(db: DataSource, phoneNumber: string): Promise<OtpCode> {
  const row = await db.getRepository(OtpCode).findOne({ where: { phoneNumber }, order: { id: 'DESC' } });
  if (!row) throw new Error(`no otp_codes row for ${phoneNumber}`);
  return row;
}

/** The users whose phone number is `phoneNumber` (E.164): zero or one, unless uniqueness broke. */
export function userRows(db: DataSource, phoneNumber: string): Promise<User[]> {
  return db.getRepository(User).find({ where: { phoneNumber }, order: { id: 'ASC' } });
}

/** Moves the newest code's expiry into the past, instead of waiting for OTP_TTL. */
export async function expireLatestCode(db: DataSource, phoneNumber: string): Promise<void> {
  const { id } = await latestOtpRow(db, phoneNumber);
  await db.getRepository(OtpCode).update(id, { expiresAt: new Date(Date.now() - 1000) });
}

/** Sets columns of a user's row, e.g. to deactivate it or move `lastLogin` into the past. */
export async function updateUser(
  db: DataSource,
  id: number,
  changes: Partial<Pick<User, 'isActive' | 'lastLogin'>>,
): Promise<void> {
  await db.getRepository(User).update(id, changes);
}
