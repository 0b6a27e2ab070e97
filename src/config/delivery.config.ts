import { registerAs } from '@nestjs/config';
import { envDuration, envOneOf, envOptional, reject } from './env';
import { envCountry } from './phone.config';

/** How a code reaches the phone: a text, a WhatsApp message, or a call that reads it out. */
export const CHANNELS = ['sms', 'whatsapp', 'voice'] as const;
export type Channel = (typeof CHANNELS)[number];

export const FALLBACKS = ['on_failure', 'off'] as const;

function envChannels(name: string): Channel[] {
  const listed = (envOptional(name) ?? 'sms')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
  const unknown = listed.find((item) => !(CHANNELS as readonly string[]).includes(item));
  if (unknown) return reject(name, `unknown channel "${unknown}"; expected some of ${CHANNELS.join(', ')}`, ['sms']);
  if (new Set(listed).size !== listed.length) return reject(name, 'a channel is listed twice', ['sms']);
  return listed as Channel[];
}

/** `OTP_WHATSAPP_COUNTRIES=BR,IN`: the countries a channel may reach; empty means every one. */
function envChannelCountries(): Map<Channel, Set<string>> {
  const countries = new Map<Channel, Set<string>>();
  for (const channel of CHANNELS) {
    const name = `OTP_${channel.toUpperCase()}_COUNTRIES`;
    const list = (envOptional(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .flatMap((item) => envCountry(name, item) ?? []);
    if (list.length) countries.set(channel, new Set(list));
  }
  return countries;
}

/** A receipt's fallback must leave time to type the code: 2 minutes, or half of OTP_TTL when shorter. */
function envFallbackWindow(name: string, ttlMs: number): number {
  if (envOptional(name) === undefined) return Math.min(120_000, Math.floor(ttlMs / 2));
  const windowMs = envDuration(name, '2m');
  return windowMs < ttlMs
    ? windowMs
    : reject(name, 'must be shorter than OTP_TTL, to leave time to type the code', ttlMs);
}

/** How codes reach phones: the channels, in the order they are tried, and the one fallback. */
export const deliveryConfig = registerAs('delivery', () => ({
  channels: envChannels('OTP_CHANNELS'),
  countries: envChannelCountries(),
  fallback: envOneOf('OTP_FALLBACK', 'on_failure', FALLBACKS),
  /** How long after a send an `undelivered` or `failed` receipt still brings the fallback. */
  fallbackWindowMs: envFallbackWindow('OTP_FALLBACK_WINDOW', envDuration('OTP_TTL', '5m')),
}));
