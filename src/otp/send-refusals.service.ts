import { Injectable, Logger } from '@nestjs/common';
import { AuditTrail, type AuditSubject } from '../audit/audit-trail.service';
import { ProblemException } from '../common/errors/problem.exception';
import { PhoneNumberService } from '../common/phone-number.service';

/** Records the sends that were refused once the number was known: `code_send_refused`, with why. */
@Injectable()
export class SendRefusals {
  private readonly logger = new Logger(SendRefusals.name);

  constructor(
    private readonly audit: AuditTrail,
    private readonly phones: PhoneNumberService,
  ) {}

  /** What `decide` returns; a problem it throws is recorded, its code (or `reasonOf` it) as the reason. */
  async unless<T>(
    subject: AuditSubject,
    decide: () => T | Promise<T>,
    reasonOf: (refusal: ProblemException) => string = (refusal) => refusal.code,
  ): Promise<T> {
    try {
      return await decide();
    } catch (error) {
      if (error instanceof ProblemException) await this.record(subject, reasonOf(error));
      throw error;
    }
  }

  /** The E.164 number a code may be texted to; a number the policy refuses is a recorded refusal. */
  async sendableNumber(input: string, subject: Omit<AuditSubject, 'phoneNumber'>): Promise<string> {
    try {
      return this.phones.normalizeForSending(input);
    } catch (error) {
      if (error instanceof ProblemException && error.code === 'phone_not_allowed') {
        await this.record({ ...subject, phoneNumber: this.phones.normalize(input) }, 'phone_not_allowed');
      }
      throw error;
    }
  }

  /** Nothing was stored, so nothing to commit with; an outage must not turn the refusal into a 503. */
  async record(subject: AuditSubject, reason: string): Promise<void> {
    await this.audit.write({ type: 'code_send_refused', reason, ...subject }).catch((error: unknown) => {
      this.logger.warn(`Could not record a refused send: ${String(error)}`);
    });
  }
}
