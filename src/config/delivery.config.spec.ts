import { deliveryConfig } from '.';

describe('delivery settings (OTP_CHANNELS, OTP_*_COUNTRIES, OTP_FALLBACK)', () => {
  const saved = process.env;

  beforeEach(() => {
    process.env = {};
  });

  afterEach(() => {
    process.env = saved;
  });

  it('sends by SMS to every country, falling back on failure, by default', () => {
    expect(deliveryConfig()).toEqual({
      channels: ['sms'],
      countries: new Map(),
      fallback: 'on_failure',
      fallbackWindowMs: 120_000,
    });
  });

  it('reads the channels in their order of preference, and each channel’s countries', () => {
    process.env.OTP_CHANNELS = 'WhatsApp, sms,voice';
    process.env.OTP_WHATSAPP_COUNTRIES = 'br,IN';
    process.env.OTP_FALLBACK = 'off';
    expect(deliveryConfig()).toEqual({
      channels: ['whatsapp', 'sms', 'voice'],
      countries: new Map([['whatsapp', new Set(['BR', 'IN'])]]),
      fallback: 'off',
      fallbackWindowMs: 120_000,
    });
  });

  it('takes a receipt fallback window shorter than OTP_TTL, and half of a short OTP_TTL by default', () => {
    process.env.OTP_TTL = '1m';
    expect(deliveryConfig().fallbackWindowMs).toBe(30_000);
    process.env.OTP_FALLBACK_WINDOW = '45s';
    expect(deliveryConfig().fallbackWindowMs).toBe(45_000);
    process.env.OTP_FALLBACK_WINDOW = '1m';
    expect(() => deliveryConfig()).toThrow(
      'Invalid environment variable OTP_FALLBACK_WINDOW: must be shorter than OTP_TTL',
    );
  });

  it.each([
    ['OTP_CHANNELS', 'sms,pigeon'],
    ['OTP_CHANNELS', 'sms,sms'],
    ['OTP_VOICE_COUNTRIES', 'US,XX'],
    ['OTP_FALLBACK', 'always'],
  ])('refuses %s=%s, naming it', (name, value) => {
    process.env[name] = value;
    expect(() => deliveryConfig()).toThrow(`Invalid environment variable ${name}:`);
  });
});
