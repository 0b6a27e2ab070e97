import type { Logger } from '@nestjs/common';
import { ProblemException } from '../common/errors/problem.exception';
import { maskPhone } from '../common/phone-number.service';
import type { SmsDeliveryError } from '../sms/sms-sender';

/**
 * The API's problem for a send that failed, with the failure as its cause: the problem filter
 * logs it once, with the request's id. Credentials or settings the provider refused are also an
 * error of the service itself, logged here for whoever runs it.
 */
export function deliveryProblem(logger: Logger, to: string, failure: SmsDeliveryError): ProblemException {
  if (failure.reason === 'invalid_number') {
    return new ProblemException('invalid_phone_number', { detail: 'This number cannot receive SMS.' });
  }
  if (failure.reason === 'not_allowed') {
    return new ProblemException('phone_not_allowed', { detail: 'Codes cannot be texted to this number.' });
  }
  if (failure.reason === 'misconfigured') {
    const setting = failure.details.setting ?? 'the SMS_* and TWILIO_* settings';
    logger.error(`SMS provider refused our credentials or settings; check ${setting}: ${failure.message}`);
  }
  return new ProblemException('sms_delivery_failed', {
    retryAfter: failure.details.retryAfterSeconds,
    cause: new Error(`SMS to ${maskPhone(to)} failed (${failure.reason}): ${failure.message}`),
  });
}
