import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type Step } from '../database/sql';
import { AuditEvent } from './audit-event.entity';

/** An event as written: everything but its id. */
export type NewAuditEvent = Omit<AuditEvent, 'id'>;

const auditEventsStatements = (sql: Sql) => ({
  insert: sql.statement<{
    createdAt: number;
    type: string;
    actor: string | null;
    userId: number | null;
    phoneHash: string | null;
    phoneMasked: string | null;
    country: string | null;
    purpose: string | null;
    channel: string | null;
    reason: string | null;
    sessionId: string | null;
    ip: string | null;
    isNewUser: number | null;
    elapsedMs: number | null;
    detail: string | null;
  }>(
    (p) => `
      INSERT INTO audit_events (created_at, type, actor, user_id, phone_hash, phone_masked, country, purpose, channel,
        reason, session_id, ip, is_new_user, elapsed_ms, detail)
      VALUES (${p('createdAt')}, ${p('type')}, ${p('actor')}, ${p('userId')}, ${p('phoneHash')}, ${p('phoneMasked')},
        ${p('country')}, ${p('purpose')}, ${p('channel')}, ${p('reason')}, ${p('sessionId')}, ${p('ip')},
        CASE WHEN ${p('isNewUser')} IS NULL THEN NULL WHEN ${p('isNewUser')} = 1 THEN TRUE ELSE FALSE END,
        ${p('elapsedMs')}, ${p('detail')})`,
  ),
  purge: sql.statement<{ before: number }>((p) => `DELETE FROM audit_events WHERE created_at < ${p('before')}`),
});

/** The `audit_events` table. */
@Injectable()
export class AuditEventsRepository {
  readonly rows: EntityRows<AuditEvent>;
  private readonly statements: ReturnType<typeof auditEventsStatements>;

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(AuditEvent);
    this.statements = auditEventsStatements(sql);
  }

  *insert(event: NewAuditEvent): Step<void> {
    yield* query(this.statements.insert, {
      ...event,
      createdAt: event.createdAt.getTime(),
      isNewUser: event.isNewUser === null ? null : Number(event.isNewUser),
    });
  }

  /** Events older than `before`; how many. */
  async purge(before: Date): Promise<number> {
    return (await this.sql.run(this.statements.purge, { before: before.getTime() })).affected;
  }
}
