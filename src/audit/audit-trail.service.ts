import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHmac, hkdfSync } from 'node:crypto';
import { maskPhone, phoneRegion } from '../common/phone-number.service';
import { otpConfig } from '../config';
import { Sql, type Step } from '../database/sql';
import type { AuditEventType } from './audit-event.entity';
import { AuditEventsRepository, type NewAuditEvent } from './audit-events.repository';

/** What a caller says about an event; the trail adds the time and turns the number into its hash and mask. */
export interface AuditRecord {
  type: AuditEventType;
  /** E.164; stored only as a keyed hash and a masked form. */
  phoneNumber?: string;
  userId?: number | null;
  actor?: string;
  purpose?: string;
  channel?: string;
  reason?: string;
  sessionId?: string;
  ip?: string;
  isNewUser?: boolean;
  elapsedMs?: number;
  detail?: string;
}

/** What a run of events about one thing shares: everything but their type and reason. */
export type AuditSubject = Omit<AuditRecord, 'type' | 'reason'>;

/**
 * Writes the audit trail. `record` is a step of the transaction of the action it records, so the
 * event and the action commit or roll back together; `write` is for an action that changed
 * nothing stored (a refusal).
 */
@Injectable()
export class AuditTrail {
  /** A key of its own, so an event's hash says nothing about the codes' HMACs. */
  private readonly phoneKey: Buffer;

  constructor(
    private readonly events: AuditEventsRepository,
    private readonly sql: Sql,
    @Inject(otpConfig.KEY) otp: ConfigType<typeof otpConfig>,
  ) {
    this.phoneKey = Buffer.from(hkdfSync('sha256', otp.secret, '', 'audit-events phone hash', 32));
  }

  /** One event, or several written by one statement. */
  *record(records: AuditRecord | readonly AuditRecord[], at = new Date()): Step<void> {
    yield* this.events.insert([records].flat().map((record) => this.row(record, at)));
  }

  async write(record: AuditRecord, at = new Date()): Promise<void> {
    await this.sql.perform(this.record(record, at));
  }

  /** The keyed hash events hold for a number: how an admin finds every event of one number. */
  phoneHash(phoneNumber: string): string {
    return createHmac('sha256', this.phoneKey).update(phoneNumber).digest('hex');
  }

  private row(record: AuditRecord, at: Date): NewAuditEvent {
    const phone = record.phoneNumber;
    return {
      createdAt: at,
      type: record.type,
      actor: record.actor ?? null,
      userId: record.userId ?? null,
      phoneHash: phone ? this.phoneHash(phone) : null,
      phoneMasked: phone ? maskPhone(phone) : null,
      country: phone ? countryOf(phone) : null,
      purpose: record.purpose ?? null,
      channel: record.channel ?? null,
      reason: record.reason?.slice(0, 48) ?? null,
      sessionId: record.sessionId ?? null,
      ip: record.ip?.slice(0, 45) ?? null,
      isNewUser: record.isNewUser ?? null,
      elapsedMs: record.elapsedMs ?? null,
      detail: record.detail?.slice(0, 500) ?? null,
    };
  }
}

/** The number's ISO country; null for ranges no country holds (satellite, international services). */
function countryOf(phoneNumber: string): string | null {
  const region = phoneRegion(phoneNumber);
  return /^[A-Z]{2}$/.test(region) ? region : null;
}
