export interface SmsMessage {
  /** E.164 recipient. */
  to: string;
  body: string;
}

/**
 * Port to an SMS provider. `send` resolves once the provider has accepted the message and rejects
 * with {@link SmsDeliveryError} when it did not; callers must treat a rejection as "not delivered"
 * and must not retry on their own, since a retry after a timeout can deliver twice.
 */
export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
}

/** Injection token for the configured {@link SmsSender}. */
export const SmsSender = Symbol('SmsSender');

export class SmsDeliveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SmsDeliveryError';
  }
}
