import { parsePhoneNumberFromString, type NumberType } from 'libphonenumber-js/max';
import { dialects } from '../helpers/databases';
import { otpRows } from '../helpers/db-rows';
import { expectProblem } from '../helpers/problems';
import { useTestApp } from '../helpers/test-app';

/** Numbers SMS pumping is paid through, each checked against libphonenumber's own classification. */
const REFUSED_BY_DEFAULT: [string, NumberType][] = [
  ['+18005550199', 'TOLL_FREE'],
  ['+449098790000', 'PREMIUM_RATE'],
  ['+19005550199', 'PREMIUM_RATE'],
  ['+4918012345678', 'SHARED_COST'],
  ['+445612345678', 'VOIP'],
  ['+447640123456', 'PAGER'],
  ['+447011234567', 'PERSONAL_NUMBER'],
  ['+445512345678', 'UAN'],
  ['+442071838750', 'FIXED_LINE'],
];

describe.each(dialects())('security: country and number-type policy on %s', (dialect) => {
  describe('with the default PHONE_ALLOWED_TYPES (mobile, fixed-line-or-mobile)', () => {
    const app = useTestApp(dialect);

    it.each(REFUSED_BY_DEFAULT)('refuses %s (%s) with 400 phone_not_allowed before any SMS', async (phone, type) => {
      const t = app();
      expect(parsePhoneNumberFromString(phone)?.getType()).toBe(type);

      const res = await t.api.sendOtp(phone);

      expectProblem(res, 400, 'phone_not_allowed');
      expect(res.body.errors).toEqual([{ field: 'phone_number', message: expect.any(String) }]);
      expect(t.sms.attempted.filter((m) => m.to === phone)).toEqual([]);
      expect(await otpRows(t.db, phone)).toEqual([]);
    });

    it('texts a German mobile number when no country list is set', async () => {
      const t = app();
      await t.api.sendOtp('+4915123456789').expect(200);
      expect(t.sms.countFor('+4915123456789')).toBe(1);
    });
  });

  describe('with PHONE_ALLOWED_COUNTRIES=US,CA', () => {
    const app = useTestApp(dialect, { env: { PHONE_ALLOWED_COUNTRIES: 'US,CA' } });

    it('refuses a German mobile number with phone_not_allowed and texts a US number', async () => {
      const t = app();
      expectProblem(await t.api.sendOtp('+4915123456789'), 400, 'phone_not_allowed');
      await t.api.sendOtp('+12015550144').expect(200);

      expect(t.sms.attempted.map((m) => m.to)).toEqual(['+12015550144']);
    });

    it('still refuses a toll-free number inside an allowed country', async () => {
      const t = app();
      expectProblem(await t.api.sendOtp('+18005550199'), 400, 'phone_not_allowed');
      expect(t.sms.attempted.filter((m) => m.to === '+18005550199')).toEqual([]);
    });
  });

  describe('with PHONE_ALLOWED_TYPES=MOBILE,FIXED_LINE_OR_MOBILE,FIXED_LINE', () => {
    const app = useTestApp(dialect, { env: { PHONE_ALLOWED_TYPES: 'MOBILE,FIXED_LINE_OR_MOBILE,FIXED_LINE' } });

    it('texts a UK landline and still refuses premium-rate numbers', async () => {
      const t = app();
      await t.api.sendOtp('+442071838750').expect(200);
      expectProblem(await t.api.sendOtp('+449098790000'), 400, 'phone_not_allowed');

      expect(t.sms.attempted.map((m) => m.to)).toEqual(['+442071838750']);
    });
  });
});
