import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type Step } from '../database/sql';
import { SmsDelivery, type DeliveryStatus } from './sms-delivery.entity';

export type NewSmsDelivery = Pick<
  SmsDelivery,
  | 'otpCodeId'
  | 'channel'
  | 'nextChannel'
  | 'locale'
  | 'messageId'
  | 'status'
  | 'sealedCode'
  | 'createdAt'
  | 'fallbackAt'
>;

/** An attempt as the sender knows it: what it does not say is a plain sent message with no fallback. */
export type DeliveryAttempt = Partial<NewSmsDelivery> &
  Pick<NewSmsDelivery, 'otpCodeId' | 'channel' | 'locale' | 'createdAt'>;

/** The row an attempt makes. */
export function deliveryRow(attempt: DeliveryAttempt): NewSmsDelivery {
  return { status: 'sent', messageId: null, nextChannel: null, sealedCode: null, fallbackAt: null, ...attempt };
}

const smsDeliveriesStatements = (sql: Sql, rows: EntityRows<SmsDelivery>) => ({
  insert: sql.statement<{
    otpCodeId: number;
    channel: string;
    nextChannel: string | null;
    locale: string;
    messageId: string | null;
    status: string;
    sealedCode: string | null;
    createdAt: number;
    fallbackAt: number | null;
  }>(
    (p) => `
      INSERT INTO sms_deliveries (otp_code_id, channel, next_channel, locale, message_id, status, sealed_code,
        created_at, updated_at, fallback_at)
      VALUES (${p('otpCodeId')}, ${p('channel')}, ${p('nextChannel')}, ${p('locale')}, ${p('messageId')},
        ${p('status')}, ${p('sealedCode')}, ${p('createdAt')}, ${p('createdAt')}, ${p('fallbackAt')})`,
  ),
  byMessageId: sql.statement<{ messageId: string }>(
    (p) => `SELECT ${rows.selectList()} FROM sms_deliveries WHERE message_id = ${p('messageId')}`,
  ),
  /** A final status (delivered, undelivered, failed) stays; a late `queued` does not undo `sent`. */
  report: sql.statement<{ id: number; status: DeliveryStatus; errorCode: string | null; at: number }>(
    (p) => `
      UPDATE sms_deliveries SET status = ${p('status')}, error_code = ${p('errorCode')}, updated_at = ${p('at')}
      WHERE id = ${p('id')} AND status NOT IN ('delivered', 'undelivered', 'failed')
        AND NOT (status = 'sent' AND ${p('status')} = 'queued')`,
  ),
  /** Of parallel receipts for one message (on any instance), one claims its fallback. */
  claimFallback: sql.statement<{ id: number; at: number }>(
    (p) => `
      UPDATE sms_deliveries SET fallback_at = ${p('at')}, sealed_code = NULL
      WHERE id = ${p('id')} AND fallback_at IS NULL AND sealed_code IS NOT NULL`,
  ),
  forgetCodes: sql.statement<{ before: number }>(
    (p) => `UPDATE sms_deliveries SET sealed_code = NULL WHERE sealed_code IS NOT NULL AND created_at < ${p('before')}`,
  ),
});

/** The `sms_deliveries` table. */
@Injectable()
export class SmsDeliveriesRepository {
  readonly rows: EntityRows<SmsDelivery>;
  readonly statements: ReturnType<typeof smsDeliveriesStatements>;

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(SmsDelivery);
    this.statements = smsDeliveriesStatements(sql, this.rows);
  }

  *insert(attempt: DeliveryAttempt): Step<void> {
    const delivery = deliveryRow(attempt);
    yield* query(this.statements.insert, {
      ...delivery,
      createdAt: delivery.createdAt.getTime(),
      fallbackAt: delivery.fallbackAt?.getTime() ?? null,
    });
  }

  async byMessageId(messageId: string): Promise<SmsDelivery | undefined> {
    const row = await this.sql.first(this.statements.byMessageId, { messageId });
    return row && this.rows.hydrate(row);
  }

  /** Records what a receipt said; false when the delivery's status was already final. */
  async report(id: number, status: DeliveryStatus, errorCode: string | null, at: Date): Promise<boolean> {
    return (await this.sql.run(this.statements.report, { id, status, errorCode, at: at.getTime() })).affected > 0;
  }

  /** True for the one caller that may send this delivery's fallback; the sealed code is wiped either way. */
  async claimFallback(id: number, at: Date): Promise<boolean> {
    return (await this.sql.run(this.statements.claimFallback, { id, at: at.getTime() })).affected > 0;
  }

  /** Wipes the sealed codes of deliveries older than `before`: their fallback window is over. */
  async forgetCodes(before: Date): Promise<number> {
    return (await this.sql.run(this.statements.forgetCodes, { before: before.getTime() })).affected;
  }
}
