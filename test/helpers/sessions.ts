import type { DataSource } from 'typeorm';
import { Session } from '../../src/sessions/session.entity';
import { decodeJwt } from './jwt';

export const sidOf = (token: string): string => decodeJwt(token).payload.sid as string;
export const jtiOf = (token: string): string => decodeJwt(token).payload.jti as string;

/** The session a token belongs to (its `sid`); fails the test when the row is missing. */
export async function sessionRowOf(db: DataSource, token: string): Promise<Session> {
  const row = await db.getRepository(Session).findOneBy({ id: sidOf(token) });
  if (!row) throw new Error(`no sessions row for sid ${sidOf(token)}`);
  return row;
}

/** Every session of a user, oldest first. */
export function sessionRowsOfUser(db: DataSource, userId: number): Promise<Session[]> {
  return db.getRepository(Session).find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
}

/** Sets columns of the token's session, e.g. to move `rotatedAt` or `expiresAt` into the past. */
export async function updateSessionOf(
  db: DataSource,
  token: string,
  changes: Partial<Pick<Session, 'rotatedAt' | 'expiresAt' | 'lastUsedAt'>>,
): Promise<void> {
  await db.getRepository(Session).update(sidOf(token), changes);
}
