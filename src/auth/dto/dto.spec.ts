import type { ArgumentMetadata } from '@nestjs/common';
import { ProblemException } from '../../common/errors/problem.exception';
import { createValidationPipe } from '../../common/validation.pipe';
import { SendOtpDto } from './send-otp.dto';
import { VerifyOtpDto } from './verify-otp.dto';

const pipe = createValidationPipe();

function validate(metatype: ArgumentMetadata['metatype'], body: unknown): Promise<unknown> {
  return pipe.transform(body, { type: 'body', metatype });
}

/** Resolves to the ProblemException the pipe rejected `body` with. */
async function rejectionOf(metatype: ArgumentMetadata['metatype'], body: unknown): Promise<ProblemException> {
  const error: unknown = await validate(metatype, body).then(
    () => {
      throw new Error(`expected ${JSON.stringify(body)} to be refused`);
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProblemException);
  return error as ProblemException;
}

async function expectFieldError(metatype: ArgumentMetadata['metatype'], body: unknown, field: string): Promise<void> {
  const error = await rejectionOf(metatype, body);
  expect(error.code).toBe('validation_failed');
  expect(error.getStatus()).toBe(400);
  expect(error.problem.errors).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
  expect(error.problem.errors?.every((e) => e.field === field)).toBe(true);
}

const PHONE_32 = '+1 (201) 555-0123'.padEnd(32, ' ');

describe('SendOtpDto through the global ValidationPipe', () => {
  it('passes a valid body through as a SendOtpDto', async () => {
    const body = await validate(SendOtpDto, { phone_number: '+12015550123' });
    expect(body).toBeInstanceOf(SendOtpDto);
    expect(body).toEqual({ phone_number: '+12015550123' });
  });

  it('accepts a phone_number of exactly 32 characters', async () => {
    await expect(validate(SendOtpDto, { phone_number: PHONE_32 })).resolves.toEqual({ phone_number: PHONE_32 });
  });

  it('refuses a phone_number of 33 characters', async () => {
    await expectFieldError(SendOtpDto, { phone_number: `${PHONE_32}1` }, 'phone_number');
  });

  it('refuses an unknown field by name rather than dropping it', async () => {
    const error = await rejectionOf(SendOtpDto, { phone_number: '+12015550123', admin: true });
    expect(error.problem.errors).toEqual([{ field: 'admin', message: 'property admin should not exist' }]);
  });

  it.each([
    ['missing', {}],
    ['null', { phone_number: null }],
    ['a number', { phone_number: 12015550123 }],
    ['an array', { phone_number: ['+12015550123'] }],
    ['an object', { phone_number: { e164: '+12015550123' } }],
    ['a boolean', { phone_number: true }],
    ['empty', { phone_number: '' }],
  ])('refuses phone_number when it is %s', async (_case, body) => {
    await expectFieldError(SendOtpDto, body, 'phone_number');
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', '+12015550123'],
    ['a number', 42],
  ])('refuses a body that is %s, explaining what is missing', async (_case, body) => {
    await expectFieldError(SendOtpDto, body, 'phone_number');
  });

  it.each([123, true, ['+12015550123'], { number: '+12015550123' }])(
    'tells a wrongly typed phone_number (%j) that it must be a string',
    async (phoneNumber) => {
      const error = await rejectionOf(SendOtpDto, { phone_number: phoneNumber });

      expect(error.problem.errors).toEqual([{ field: 'phone_number', message: 'phone_number must be a string' }]);
    },
  );

  it('lists at most 10 unknown fields and says how many more there were', async () => {
    const body = Object.fromEntries([
      ['phone_number', '+12015550123'],
      ...Array.from({ length: 500 }, (_, i) => [`x${i}`, 1]),
    ]);

    const error = await rejectionOf(SendOtpDto, body);

    expect(error.problem.errors).toHaveLength(10);
    expect(error.problem.detail).toMatch(/; and 490 more$/);
  });

  it('puts every field error into the detail', async () => {
    const error = await rejectionOf(SendOtpDto, { phone_number: 5, extra: 1 });
    expect(error.problem.errors?.map((e) => e.field).sort()).toEqual(['extra', 'phone_number']);
    for (const fieldError of error.problem.errors ?? []) expect(error.message).toContain(fieldError.message);
  });
});

describe('VerifyOtpDto through the global ValidationPipe', () => {
  it('passes a valid body through as a VerifyOtpDto', async () => {
    const body = { phone_number: '+12015550123', otp_code: '012345' };
    await expect(validate(VerifyOtpDto, body)).resolves.toEqual(body);
    await expect(validate(VerifyOtpDto, body)).resolves.toBeInstanceOf(VerifyOtpDto);
  });

  it.each(['1234', '0000000000'])('accepts %j, 4 to 10 ASCII digits', async (otp_code) => {
    await expect(validate(VerifyOtpDto, { phone_number: '+12015550123', otp_code })).resolves.toMatchObject({
      otp_code,
    });
  });

  it.each([
    ['letters', '12a456'],
    ['Arabic-Indic digits', '١٢٣٤٥٦'],
    ['full-width digits', '１２３４５６'],
    ['3 digits', '123'],
    ['11 digits', '12345678901'],
    ['spaces', '123 456'],
    ['a sign', '+123456'],
    ['a trailing newline', '123456\n'],
    ['empty', ''],
    ['a number', 123456],
    ['missing', undefined],
  ])('refuses otp_code with %s', async (_case, otp_code) => {
    await expectFieldError(VerifyOtpDto, { phone_number: '+12015550123', otp_code }, 'otp_code');
  });

  it('refuses a missing phone_number, inherited from SendOtpDto', async () => {
    await expectFieldError(VerifyOtpDto, { otp_code: '123456' }, 'phone_number');
  });

  it('refuses an unknown field', async () => {
    await expectFieldError(VerifyOtpDto, { phone_number: '+12015550123', otp_code: '123456', code: '123456' }, 'code');
  });
});
