import { otpRows } from './helpers/db-rows';
import { dialects } from './helpers/databases';
import { expectProblem } from './helpers/problems';
import { signIn } from './helpers/sign-in';
import { useTestApp } from './helpers/test-app';

/** The tests of one app share its recorder, so each texts numbers of its own. */
const us = (n: number) => `+120155502${String(n).padStart(2, '0')}`;
/** Brazilian mobiles: WhatsApp is allowed there in these tests, not in the US. */
const br = (n: number) => `+55119612345${String(n).padStart(2, '0')}`;

/** The channels the app tried for `phone`, in order. */
const triedFor = (t: ReturnType<ReturnType<typeof useTestApp>>, phone: string) =>
  t.sms.attempted.filter((m) => m.to === phone).map((m) => m.channel);

describe.each(dialects())('delivery channels on %s', (dialect) => {
  describe('with OTP_CHANNELS=whatsapp,sms,voice and WhatsApp only for BR', () => {
    const app = useTestApp(dialect, {
      env: { OTP_CHANNELS: 'whatsapp,sms,voice', OTP_WHATSAPP_COUNTRIES: 'BR' },
    });
    afterEach(() => app().sms.failingChannels.clear());

    it('sends on the first channel the number’s country allows, and says which', async () => {
      const t = app();

      const brazil = await t.api.sendOtp(br(1)).expect(200);
      const states = await t.api.sendOtp(us(1)).expect(200);

      expect([brazil.body.channel, states.body.channel]).toEqual(['whatsapp', 'sms']);
      expect([triedFor(t, br(1)), triedFor(t, us(1))]).toEqual([['whatsapp'], ['sms']]);
    });

    it('sends on the channel asked for, and the code it sends signs in', async () => {
      const t = app();

      const res = await t.api.sendOtp(us(2), { channel: 'voice' }).expect(200);

      expect(res.body.channel).toBe('voice');
      expect(triedFor(t, us(2))).toEqual(['voice']);
      await t.api.verifyOtp(us(2), t.sms.lastCodeFor(us(2))).expect(200);
    });

    it('refuses a channel not allowed for the number with 400 channel_not_enabled, sending nothing and storing nothing', async () => {
      const t = app();

      const res = await t.api.sendOtp(us(3), { channel: 'whatsapp' });

      expectProblem(res, 400, 'channel_not_enabled');
      expect(res.body.errors).toEqual([{ field: 'channel', message: 'channel must be one of sms, voice' }]);
      expect(triedFor(t, us(3))).toEqual([]);
      expect(await otpRows(t.db, us(3))).toEqual([]);
    });

    it('refuses an unknown channel as a validation failure', async () => {
      const t = app();
      expectProblem(await t.api.sendOtp(us(4), { channel: 'fax' }), 400, 'validation_failed');
    });

    it('falls back once to the next channel with the same code when the first fails, and that code signs in', async () => {
      const t = app();
      t.sms.failingChannels.add('whatsapp');

      const res = await t.api.sendOtp(br(2)).expect(200);

      expect(res.body.channel).toBe('sms');
      const [first, second] = t.sms.attempted.filter((m) => m.to === br(2));
      expect([first.channel, second.channel]).toEqual(['whatsapp', 'sms']);
      expect(second.code).toBe(first.code);
      expect(await otpRows(t.db, br(2))).toHaveLength(1);
      await t.api.verifyOtp(br(2), second.code).expect(200);
    });

    it('answers sms_delivery_failed after one fallback fails too, with the code unusable', async () => {
      const t = app();
      t.sms.failingChannels.add('whatsapp').add('sms');

      expectProblem(await t.api.sendOtp(br(3)), 503, 'sms_delivery_failed');

      expect(triedFor(t, br(3))).toEqual(['whatsapp', 'sms']);
      const [row] = await otpRows(t.db, br(3));
      expect(row.invalidatedAt).not.toBeNull();
    });

    it('takes the channel on every route that texts a code', async () => {
      const t = app();
      const { tokens } = await signIn(t, us(5));

      const reauth = await t.api.reauthenticate(tokens.access, { channel: 'voice' }).expect(200);
      const change = await t.api.requestPhoneChange(tokens.access, us(6), { channel: 'voice' });

      expect([reauth.body.channel, change.status, change.body.channel]).toEqual(['voice', 200, 'voice']);
      expectProblem(await t.api.reauthenticate(tokens.access, { channel: 'whatsapp' }), 400, 'channel_not_enabled');
    });
  });

  describe('with OTP_FALLBACK=off', () => {
    const app = useTestApp(dialect, { env: { OTP_CHANNELS: 'whatsapp,sms', OTP_FALLBACK: 'off' } });

    it('does not try the next channel', async () => {
      const t = app();
      t.sms.failingChannels.add('whatsapp');

      expectProblem(await t.api.sendOtp(us(7)), 503, 'sms_delivery_failed');
      expect(triedFor(t, us(7))).toEqual(['whatsapp']);
    });
  });

  describe('with OTP_PHONE_SEND_LIMIT=1', () => {
    const app = useTestApp(dialect, { env: { OTP_CHANNELS: 'whatsapp,sms', OTP_PHONE_SEND_LIMIT: '1' } });

    it('counts the fallback as a send: with the cap used by the first attempt, the fallback is not sent', async () => {
      const t = app();
      t.sms.failingChannels.add('whatsapp');

      expectProblem(await t.api.sendOtp(us(8)), 503, 'sms_delivery_failed');
      expect(triedFor(t, us(8))).toEqual(['whatsapp']);
    });
  });
});
