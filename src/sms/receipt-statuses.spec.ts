import { ProblemException } from '../common/errors/problem.exception';
import { twilioReceipt, type ReceiptStatus } from './receipt-statuses';

const MESSAGE_SID = 'SM0123456789abcdef0123456789abcdef';
const CALL_SID = 'CA0123456789abcdef0123456789abcdef';
/** Some of what Twilio posts besides the fields read. */
const EXTRA = { AccountSid: 'AC0123456789abcdef0123456789abcdef', To: '+12015550123', ApiVersion: '2010-04-01' };

function refusal(form: Record<string, string | string[]>): ProblemException {
  try {
    twilioReceipt(form);
  } catch (error) {
    return error as ProblemException;
  }
  throw new Error('expected a validation_failed problem');
}

describe('twilioReceipt', () => {
  it.each<[string, ReceiptStatus]>([
    ['accepted', 'queued'],
    ['scheduled', 'queued'],
    ['queued', 'queued'],
    ['sending', 'queued'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'delivered'],
    ['undelivered', 'undelivered'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
  ])('maps the message status %s to %s', (twilioStatus, status) => {
    expect(twilioReceipt({ ...EXTRA, MessageSid: MESSAGE_SID, MessageStatus: twilioStatus })).toEqual({
      messageId: MESSAGE_SID,
      status,
    });
  });

  it.each<[string, ReceiptStatus]>([
    ['queued', 'queued'],
    ['initiated', 'queued'],
    ['ringing', 'queued'],
    ['in-progress', 'sent'],
    ['completed', 'delivered'],
    ['busy', 'undelivered'],
    ['no-answer', 'undelivered'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
  ])('maps the call status %s to %s', (twilioStatus, status) => {
    expect(twilioReceipt({ ...EXTRA, CallSid: CALL_SID, CallStatus: twilioStatus })).toEqual({
      messageId: CALL_SID,
      status,
    });
  });

  it.each(['receiving', 'received', 'partially_delivered', 'some-future-status', '__proto__', 'toString'])(
    'ignores the status %s, which says nothing about delivery',
    (twilioStatus) => {
      expect(twilioReceipt({ MessageSid: MESSAGE_SID, MessageStatus: twilioStatus })).toBeNull();
      expect(twilioReceipt({ CallSid: CALL_SID, CallStatus: twilioStatus })).toBeNull();
    },
  );

  it("keeps Twilio's ErrorCode, and leaves out an empty one", () => {
    expect(twilioReceipt({ MessageSid: MESSAGE_SID, MessageStatus: 'undelivered', ErrorCode: '30003' })).toEqual({
      messageId: MESSAGE_SID,
      status: 'undelivered',
      errorCode: '30003',
    });
    expect(twilioReceipt({ MessageSid: MESSAGE_SID, MessageStatus: 'delivered', ErrorCode: '' })).toEqual({
      messageId: MESSAGE_SID,
      status: 'delivered',
    });
  });

  it("reads a message's fields when a callback carries both a MessageSid and a CallSid", () => {
    expect(
      twilioReceipt({ MessageSid: MESSAGE_SID, MessageStatus: 'sent', CallSid: CALL_SID, CallStatus: 'completed' }),
    ).toEqual({ messageId: MESSAGE_SID, status: 'sent' });
  });

  it.each<[string, Record<string, string | string[]>, string]>([
    ['no SID at all', { ...EXTRA, MessageStatus: 'delivered' }, 'MessageSid'],
    ['a MessageSid that is not a SID', { MessageSid: 'SM123', MessageStatus: 'delivered' }, 'MessageSid'],
    ['a repeated MessageSid', { MessageSid: [MESSAGE_SID, MESSAGE_SID], MessageStatus: 'delivered' }, 'MessageSid'],
    ['a message without its status', { MessageSid: MESSAGE_SID }, 'MessageStatus'],
    ['an empty status', { MessageSid: MESSAGE_SID, MessageStatus: '' }, 'MessageStatus'],
    ['a repeated status', { MessageSid: MESSAGE_SID, MessageStatus: ['sent', 'failed'] }, 'MessageStatus'],
    ['a call without its status', { CallSid: CALL_SID }, 'CallStatus'],
    ['a CallSid that is not a SID', { CallSid: 'CA-nope', CallStatus: 'completed' }, 'CallSid'],
    [
      'an ErrorCode past 64 characters',
      { MessageSid: MESSAGE_SID, MessageStatus: 'failed', ErrorCode: '3'.repeat(65) },
      'ErrorCode',
    ],
  ])('refuses a callback with %s as validation_failed naming the field', (_case, form, field) => {
    const problem = refusal(form);

    expect(problem).toBeInstanceOf(ProblemException);
    expect(problem.code).toBe('validation_failed');
    expect(problem.problem.errors).toEqual([{ field, message: expect.stringContaining(field) }]);
  });

  it('refuses a missing form as validation_failed', () => {
    expect(() => twilioReceipt(undefined)).toThrow(ProblemException);
  });
});
