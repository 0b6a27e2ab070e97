import {
  BadRequestException,
  HttpException,
  HttpStatus,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnsupportedMediaTypeException,
  type ArgumentsHost,
} from '@nestjs/common';
import { ProblemDetailsFilter, type ProblemBody } from './problem-details.filter';
import { ProblemException } from './problem.exception';

interface FakeLog {
  warn: jest.Mock;
  error: jest.Mock;
}

interface FakeReply {
  status: jest.Mock;
  header: jest.Mock;
  send: jest.Mock;
}

const log: FakeLog = { warn: jest.fn(), error: jest.fn() };

function fakeHost(url = '/api/auth/verify-otp/', method = 'POST'): { host: ArgumentsHost; reply: FakeReply } {
  const request = { url, method, routeOptions: { url: '/api/auth/verify-otp' }, log };
  const reply = {} as FakeReply;
  reply.status = jest.fn(() => reply);
  reply.header = jest.fn(() => reply);
  reply.send = jest.fn(() => reply);
  const http = { getRequest: () => request, getResponse: () => reply };
  return { host: { switchToHttp: () => http } as unknown as ArgumentsHost, reply };
}

describe('ProblemDetailsFilter', () => {
  const filter = new ProblemDetailsFilter();

  beforeEach(() => {
    log.warn.mockClear();
    log.error.mockClear();
  });

  function render(exception: unknown, url?: string): { body: ProblemBody; reply: FakeReply } {
    const { host, reply } = fakeHost(url);
    filter.catch(exception, host);
    expect(reply.send).toHaveBeenCalledTimes(1);
    return { body: reply.send.mock.calls[0][0] as ProblemBody, reply };
  }

  function headers(reply: FakeReply): Record<string, string> {
    return Object.fromEntries(reply.header.mock.calls as [string, string][]);
  }

  it('renders a ProblemException as an RFC 9457 document with its stable code', () => {
    const { body, reply } = render(new ProblemException('otp_invalid'));

    expect(reply.status).toHaveBeenCalledWith(400);
    expect(body).toEqual({
      type: '/problems/otp_invalid',
      title: 'Invalid code',
      status: 400,
      detail: 'The code is wrong or has already been used.',
      code: 'otp_invalid',
      instance: '/api/auth/verify-otp/',
    });
  });

  it('answers with Content-Type application/problem+json', () => {
    const { reply } = render(new ProblemException('otp_invalid'));
    expect(headers(reply)['Content-Type']).toBe('application/problem+json');
  });

  it('strips the query string from instance', () => {
    const { body } = render(new ProblemException('otp_invalid'), '/api/auth/verify-otp/?phone=+12015550123&x=1');
    expect(body.instance).toBe('/api/auth/verify-otp/');
  });

  it('keeps a custom detail and the field errors', () => {
    const errors = [{ field: 'phone_number', message: 'Include the country code.' }];
    const { body } = render(
      new ProblemException('invalid_phone_number', { detail: 'Include the country code.', errors }),
    );

    expect(body).toMatchObject({ code: 'invalid_phone_number', detail: 'Include the country code.', errors });
  });

  it('leaves errors out when there are none', () => {
    const { body } = render(new ProblemException('otp_expired'));
    expect(body).not.toHaveProperty('errors');
  });

  it('sets Retry-After from retryAfter and leaves it out otherwise', () => {
    const limited = render(new ProblemException('rate_limited', { retryAfter: 42 }));
    expect(limited.reply.status).toHaveBeenCalledWith(429);
    expect(headers(limited.reply)['Retry-After']).toBe('42');
    expect(limited.body).not.toHaveProperty('retryAfter');

    const plain = render(new ProblemException('otp_attempts_exceeded'));
    expect(headers(plain.reply)).not.toHaveProperty('Retry-After');
  });

  it('answers a plain 400 HttpException (not one of ours) with bad_request, keeping its status', () => {
    const { body, reply } = render(new BadRequestException('Unexpected token'));

    expect(reply.status).toHaveBeenCalledWith(400);
    expect(body).toMatchObject({ code: 'bad_request', status: 400, title: 'Bad request' });
  });

  it.each([
    ['NotFoundException', new NotFoundException('Cannot POST /nope'), 404, 'not_found', 'No such resource.'],
    [
      'PayloadTooLargeException',
      new PayloadTooLargeException(),
      413,
      'payload_too_large',
      'The request body is larger than the server accepts.',
    ],
    [
      'UnsupportedMediaTypeException',
      new UnsupportedMediaTypeException(),
      415,
      'unsupported_media_type',
      'Send the request body as application/json.',
    ],
    [
      'a 405 HttpException',
      new HttpException('nope', HttpStatus.METHOD_NOT_ALLOWED),
      405,
      'method_not_allowed',
      expect.any(String),
    ],
    ['a 418 HttpException', new HttpException('odd', HttpStatus.I_AM_A_TEAPOT), 418, 'bad_request', expect.any(String)],
  ])('maps %s to %d %s with our own detail', (_name, exception, status, code, detail) => {
    const { body, reply } = render(exception);

    expect(reply.status).toHaveBeenCalledWith(status);
    expect(body).toMatchObject({ status, code, detail, type: `/problems/${code}` });
  });

  it('answers 503 service_unavailable for an HttpException with that status', () => {
    const { body } = render(new ServiceUnavailableException('db pool exhausted at 10.0.0.3'));

    expect(body).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(JSON.stringify(body)).not.toContain('10.0.0.3');
  });

  it('answers an unexpected error with a 500 internal_error that reveals nothing of it', () => {
    const error = new Error('secret');
    const { body, reply } = render(error);

    expect(reply.status).toHaveBeenCalledWith(500);
    expect(body).toEqual({
      type: '/problems/internal_error',
      title: 'Internal server error',
      status: 500,
      detail: 'Something went wrong on our side.',
      code: 'internal_error',
      instance: '/api/auth/verify-otp/',
    });
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(log.error).toHaveBeenCalledWith(
      { context: 'ProblemDetailsFilter', trace: error.stack },
      'POST /api/auth/verify-otp failed',
    );
  });

  it('answers a thrown non-Error with a 500 too', () => {
    const { body } = render('just a string');
    expect(body).toMatchObject({ status: 500, code: 'internal_error' });
    expect(JSON.stringify(body)).not.toContain('just a string');
  });

  it("logs a refusal only when it has a cause, once, through the request's logger", () => {
    render(new ProblemException('otp_invalid'));
    render(new NotFoundException());
    expect(log.warn).not.toHaveBeenCalled();
    expect(log.error).not.toHaveBeenCalled();

    render(
      new ProblemException('captcha_invalid', { cause: new Error('the provider said no (timeout-or-duplicate)') }),
    );

    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith(
      { context: 'ProblemDetailsFilter' },
      'POST /api/auth/verify-otp: captcha_invalid (the provider said no (timeout-or-duplicate))',
    );
  });

  it('logs an outage it answered on purpose as a warning with its cause, not as an error', () => {
    render(
      new ProblemException('sms_delivery_failed', { cause: new Error('SMS to +1201*****81 failed (unavailable)') }),
    );

    expect(log.warn).toHaveBeenCalledWith(
      { context: 'ProblemDetailsFilter' },
      'POST /api/auth/verify-otp: sms_delivery_failed (SMS to +1201*****81 failed (unavailable))',
    );
    expect(log.error).not.toHaveBeenCalled();
  });
});
