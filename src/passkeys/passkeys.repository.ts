import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type Step } from '../database/sql';
import { Passkey } from './passkey.entity';
import { usableUserSql } from '../users/user.entity';

const passkeysStatements = (sql: Sql, rows: EntityRows<Passkey>) => ({
  insert: sql.statement<{
    id: string;
    userId: number;
    credentialId: string;
    publicKey: string;
    counter: number;
    transports: string | null;
    deviceType: string;
    backedUp: number;
    name: string;
    now: number;
  }>(
    (p) => `
      INSERT INTO passkeys (
        id, user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at
      )
      VALUES (${p('id')}, ${p('userId')}, ${p('credentialId')}, ${p('publicKey')}, ${p('counter')}, ${p('transports')},
        ${p('deviceType')}, CASE WHEN ${p('backedUp')} = 1 THEN TRUE ELSE FALSE END, ${p('name')}, ${p('now')})
      RETURNING ${rows.selectList()}`,
  ),
  ofUser: sql.statement<{ userId: number }>(
    (p) => `SELECT ${rows.selectList()} FROM passkeys WHERE user_id = ${p('userId')} ORDER BY created_at DESC, id`,
  ),
  /** The passkey, and its user's number, if that user is usable. */
  byCredentialId: sql.statement<{ credentialId: string; now: number }>(
    (p) => `
      SELECT ${rows.selectList('k')}, u.phone_number FROM passkeys k JOIN users u ON u.id = k.user_id
      WHERE k.credential_id = ${p('credentialId')} AND ${usableUserSql('u', p('now'))}`,
  ),
  rename: sql.statement<{ id: string; userId: number; name: string }>(
    (p) => `
      UPDATE passkeys SET name = ${p('name')} WHERE id = ${p('id')} AND user_id = ${p('userId')}
      RETURNING ${rows.selectList()}`,
  ),
  delete: sql.statement<{ id: string; userId: number }>(
    (p) => `DELETE FROM passkeys WHERE id = ${p('id')} AND user_id = ${p('userId')}`,
  ),
  /** Moves the counter on only from the value the check read: of parallel uses of one reading, one counts. */
  recordUse: sql.statement<{ id: string; from: number; to: number; now: number }>(
    (p) => `
      UPDATE passkeys SET counter = ${p('to')}, last_used_at = ${p('now')}
      WHERE id = ${p('id')} AND counter = ${p('from')} AND cloned_at IS NULL`,
  ),
  markCloned: sql.statement<{ id: string; now: number }>(
    (p) => `UPDATE passkeys SET cloned_at = ${p('now')} WHERE id = ${p('id')} AND cloned_at IS NULL`,
  ),
});

/** The `passkeys` table: its statements, and its rows as {@link Passkey}s. */
@Injectable()
export class PasskeysRepository {
  readonly rows: EntityRows<Passkey>;
  readonly statements: ReturnType<typeof passkeysStatements>;

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(Passkey);
    this.statements = passkeysStatements(sql, this.rows);
  }

  /** Throws the driver's unique violation when the credential is registered already. */
  async insert(passkey: Omit<Passkey, 'createdAt' | 'lastUsedAt' | 'clonedAt'>, now: Date): Promise<Passkey> {
    const row = await this.sql.first(this.statements.insert, {
      id: passkey.id,
      userId: passkey.userId,
      credentialId: passkey.credentialId,
      publicKey: passkey.publicKey,
      counter: passkey.counter,
      transports: passkey.transports,
      deviceType: passkey.deviceType,
      backedUp: passkey.backedUp ? 1 : 0,
      name: passkey.name,
      now: now.getTime(),
    });
    return this.rows.hydrate(row!);
  }

  /** Newest first. */
  async ofUser(userId: number): Promise<Passkey[]> {
    const { rows } = await this.sql.run(this.statements.ofUser, { userId });
    return rows.map((row) => this.rows.hydrate(row));
  }

  async byCredentialId(credentialId: string): Promise<{ passkey: Passkey; phoneNumber: string } | undefined> {
    const row = await this.sql.first(this.statements.byCredentialId, { credentialId, now: Date.now() });
    return row && { passkey: this.rows.hydrate(row), phoneNumber: String(row.phone_number) };
  }

  async rename(id: string, userId: number, name: string): Promise<Passkey | undefined> {
    const row = await this.sql.first(this.statements.rename, { id, userId, name });
    return row && this.rows.hydrate(row);
  }

  async delete(id: string, userId: number): Promise<boolean> {
    return (await this.sql.run(this.statements.delete, { id, userId })).affected > 0;
  }

  *recordUse(id: string, from: number, to: number, now: Date): Step<boolean> {
    return (yield* query(this.statements.recordUse, { id, from, to, now: now.getTime() })).affected > 0;
  }

  async markCloned(id: string, now: Date): Promise<void> {
    await this.sql.run(this.statements.markCloned, { id, now: now.getTime() });
  }
}
