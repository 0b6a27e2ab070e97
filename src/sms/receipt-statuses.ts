import { ProblemException } from '../common/errors/problem.exception';

/** What happened to a message after its provider accepted it, in the words of every provider. */
export const RECEIPT_STATUSES = ['queued', 'sent', 'delivered', 'undelivered', 'failed'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/** A provider's delivery report, named by the id `SmsSender.send()` returned for the message. */
export interface ProviderReceipt {
  messageId: string;
  status: ReceiptStatus;
  /** The provider's own error code, for undelivered and failed messages. */
  errorCode?: string;
}

/**
 * Twilio's message statuses (SMS and WhatsApp). Inbound ones (`receiving`, `received`) and any
 * status Twilio adds later are not ours to map, and are ignored.
 */
const TWILIO_MESSAGE_STATUSES: Readonly<Record<string, ReceiptStatus>> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

/** Twilio's call statuses: a call that was answered (`completed`) has read the code out. */
const TWILIO_CALL_STATUSES: Readonly<Record<string, ReceiptStatus>> = {
  queued: 'queued',
  initiated: 'queued',
  ringing: 'queued',
  'in-progress': 'sent',
  completed: 'delivered',
  busy: 'undelivered',
  'no-answer': 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

/** Twilio's SIDs: two letters for the resource (SM, MM, CA) and 32 hex digits. */
const TWILIO_SID = /^[A-Z]{2}[0-9a-f]{32}$/i;
const MAX_ERROR_CODE_LENGTH = 64;

type Form = Record<string, string | string[] | undefined>;

/**
 * The receipt in a Twilio status callback (a message's `MessageSid`/`MessageStatus`/`ErrorCode`,
 * or a call's `CallSid`/`CallStatus`), or null for a status that says nothing about delivery.
 * Every other field is Twilio's and ignored. A callback without them is `validation_failed`.
 */
export function twilioReceipt(form: Form | undefined): ProviderReceipt | null {
  const fields = form ?? {};
  const isCall = fields.MessageSid === undefined && fields.CallSid !== undefined;
  const [sidField, statusField, statuses] = isCall
    ? (['CallSid', 'CallStatus', TWILIO_CALL_STATUSES] as const)
    : (['MessageSid', 'MessageStatus', TWILIO_MESSAGE_STATUSES] as const);
  const sid = fields[sidField];
  const status = fields[statusField];
  const errorCode = fields.ErrorCode;

  if (typeof sid !== 'string' || !TWILIO_SID.test(sid)) {
    const message = isCall
      ? 'CallSid must be a Twilio call SID'
      : 'MessageSid (or CallSid) must be a Twilio message (or call) SID';
    throw invalid(sidField, message);
  }
  if (typeof status !== 'string' || !status) throw invalid(statusField, `${statusField} must be a string`);
  if (errorCode !== undefined && (typeof errorCode !== 'string' || errorCode.length > MAX_ERROR_CODE_LENGTH)) {
    throw invalid('ErrorCode', `ErrorCode must be a string of at most ${MAX_ERROR_CODE_LENGTH} characters`);
  }

  const mapped = Object.hasOwn(statuses, status) ? statuses[status] : undefined;
  if (!mapped) return null;
  return { messageId: sid, status: mapped, ...(errorCode && { errorCode }) };
}

function invalid(field: string, message: string): ProblemException {
  return new ProblemException('validation_failed', { detail: message, errors: [{ field, message }] });
}
