import { DeliveryReceipts, type DeliveryReceipt } from '../src/otp/delivery-receipts.service';
import { SmsDelivery } from '../src/otp/sms-delivery.entity';
import { useClock } from './helpers/clock';
import { dialects } from './helpers/databases';
import { createTestApp, useTestApp, type TestApp } from './helpers/test-app';

/** The tests of one app share its recorder and database, so each texts a number of its own. */
const phone = (n: number) => `+120155503${String(n).padStart(2, '0')}`;

function deliveriesOf(t: TestApp, otpCodeId: number): Promise<SmsDelivery[]> {
  return t.db.getRepository(SmsDelivery).find({ where: { otpCodeId }, order: { id: 'ASC' } });
}

/** Texts a code to `to` on the first channel and returns its delivery, as a receipt would name it. */
async function sendCode(t: TestApp, to: string): Promise<SmsDelivery> {
  await t.api.sendOtp(to).expect(200);
  const rows = await t.db.getRepository(SmsDelivery).find({ order: { id: 'DESC' }, take: 1 });
  return rows[0];
}

const receipt = (delivery: SmsDelivery, status: DeliveryReceipt['status']): DeliveryReceipt => ({
  messageId: delivery.messageId!,
  status,
  errorCode: status === 'undelivered' ? '30003' : undefined,
});

describe.each(dialects())('delivery receipts and their fallback on %s', (dialect) => {
  describe('with OTP_CHANNELS=whatsapp,sms and OTP_FALLBACK_WINDOW=2m', () => {
    const app = useTestApp(dialect, { env: { OTP_CHANNELS: 'whatsapp,sms', OTP_FALLBACK_WINDOW: '2m' } });
    const clock = useClock();
    const receipts = () => app().app.get(DeliveryReceipts);

    it('records the message with its id, its next channel and its code sealed, never in clear', async () => {
      const t = app();
      const delivery = await sendCode(t, phone(1));

      expect(delivery).toMatchObject({ channel: 'whatsapp', nextChannel: 'sms', status: 'sent', fallbackAt: null });
      expect(delivery.messageId).toMatch(/^rec_[0-9a-f]{8}_\d+$/);
      expect(delivery.sealedCode).not.toContain(t.sms.lastCodeFor(phone(1)));
    });

    it('sends the same code once on the next channel when a receipt says it was undelivered, and that code signs in', async () => {
      const t = app();
      const first = await sendCode(t, phone(2));
      const code = t.sms.lastCodeFor(phone(2));

      await receipts().record(receipt(first, 'undelivered'));
      await receipts().record(receipt(first, 'failed'));

      const sent = t.sms.sent.filter((m) => m.to === phone(2));
      expect(sent.map((m) => [m.channel, m.code])).toEqual([
        ['whatsapp', code],
        ['sms', code],
      ]);
      const rows = await deliveriesOf(t, first.otpCodeId);
      expect(rows.map((r) => [r.channel, r.status, r.fallbackAt !== null, r.sealedCode])).toEqual([
        ['whatsapp', 'undelivered', true, null],
        ['sms', 'sent', false, null],
      ]);
      expect(rows[0].errorCode).toBe('30003');
      await t.api.verifyOtp(phone(2), code).expect(200);
    });

    it('does not fall back for a delivered message, and keeps its final status against late receipts', async () => {
      const t = app();
      const first = await sendCode(t, phone(3));

      await receipts().record(receipt(first, 'delivered'));
      await receipts().record(receipt(first, 'undelivered'));
      await receipts().record(receipt(first, 'queued'));

      expect(t.sms.sent.filter((m) => m.to === phone(3))).toHaveLength(1);
      const [row] = await deliveriesOf(t, first.otpCodeId);
      expect(row.status).toBe('delivered');
      const metrics = await t.http().get('/metrics').expect(200);
      expect(metrics.text).toMatch(/otp_delivery_total\{channel="whatsapp",status="delivered",country="US"\} \d+/);
      expect(metrics.text).toMatch(/otp_delivery_seconds_count\{channel="whatsapp"\} \d+/);
    });

    it('does not fall back once the window has passed, nor for a code already used or replaced', async () => {
      const t = app();
      const late = await sendCode(t, phone(4));
      clock.advance(2 * 60_000 + 1);
      await receipts().record(receipt(late, 'undelivered'));

      const used = await sendCode(t, phone(5));
      await t.api.verifyOtp(phone(5), t.sms.lastCodeFor(phone(5))).expect(200);
      await receipts().record(receipt(used, 'undelivered'));

      const replaced = await sendCode(t, phone(6));
      await sendCode(t, phone(6));
      await receipts().record(receipt(replaced, 'undelivered'));

      for (const n of [4, 5]) expect(t.sms.sent.filter((m) => m.to === phone(n))).toHaveLength(1);
      expect(t.sms.sent.filter((m) => m.to === phone(6)).map((m) => m.channel)).toEqual(['whatsapp', 'whatsapp']);
    });

    it('ignores a receipt for a message it never sent', async () => {
      await expect(receipts().record({ messageId: 'SMunknown', status: 'undelivered' })).resolves.toBeUndefined();
    });
  });

  describe('with OTP_PHONE_SEND_LIMIT=1', () => {
    const app = useTestApp(dialect, { env: { OTP_CHANNELS: 'whatsapp,sms', OTP_PHONE_SEND_LIMIT: '1' } });

    it('counts the fallback against the number’s caps: with them spent, it is not sent', async () => {
      const t = app();
      const first = await sendCode(t, phone(7));

      await t.app.get(DeliveryReceipts).record(receipt(first, 'undelivered'));

      expect(t.sms.sent.filter((m) => m.to === phone(7)).map((m) => m.channel)).toEqual(['whatsapp']);
      const [row] = await deliveriesOf(t, first.otpCodeId);
      expect(row.fallbackAt).not.toBeNull();
    });
  });

  if (dialect === 'postgres') {
    describe('two instances on one database', () => {
      const env = { OTP_CHANNELS: 'whatsapp,sms' };
      const a = useTestApp(dialect, { env });
      let b: TestApp;

      beforeAll(async () => {
        const url = (a().db.options as { url: string }).url;
        b = await createTestApp(dialect, { env, mapDatabaseUrl: () => url });
      });
      afterAll(() => b?.close());

      it('send the fallback exactly once when the same receipt reaches both at once, repeatedly', async () => {
        const t = a();
        const first = await sendCode(t, phone(8));
        const undelivered = receipt(first, 'undelivered');

        await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? b : t).app.get(DeliveryReceipts).record(undelivered)),
        );

        const fallbacks = [...t.sms.sent, ...b.sms.sent].filter((m) => m.to === phone(8) && m.channel === 'sms');
        expect(fallbacks).toHaveLength(1);
        expect(await deliveriesOf(t, first.otpCodeId)).toHaveLength(2);
      });
    });
  }
});
