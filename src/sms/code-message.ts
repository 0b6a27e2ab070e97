export const SMS_LOCALES = ['en', 'es', 'fr', 'de', 'pt'] as const;
export type SmsLocale = (typeof SMS_LOCALES)[number];

interface Wording {
  text: (app: string, code: string, lifetime: string) => string;
  minute: [one: string, many: string];
  second: [one: string, many: string];
}

const WORDING: Record<SmsLocale, Wording> = {
  en: {
    text: (app, code, lifetime) => `Your ${app} code is ${code}. It expires in ${lifetime}.`,
    minute: ['minute', 'minutes'],
    second: ['second', 'seconds'],
  },
  es: {
    text: (app, code, lifetime) => `Tu código de ${app} es ${code}. Caduca en ${lifetime}.`,
    minute: ['minuto', 'minutos'],
    second: ['segundo', 'segundos'],
  },
  fr: {
    text: (app, code, lifetime) => `Votre code ${app} est ${code}. Il expire dans ${lifetime}.`,
    minute: ['minute', 'minutes'],
    second: ['seconde', 'secondes'],
  },
  de: {
    text: (app, code, lifetime) => `Ihr ${app}-Code lautet ${code}. Er läuft in ${lifetime} ab.`,
    minute: ['Minute', 'Minuten'],
    second: ['Sekunde', 'Sekunden'],
  },
  pt: {
    text: (app, code, lifetime) => `O seu código ${app} é ${code}. Expira em ${lifetime}.`,
    minute: ['minuto', 'minutos'],
    second: ['segundo', 'segundos'],
  },
};

export interface CodeMessageOptions {
  appName: string;
  code: string;
  ttlMs: number;
  locale: SmsLocale;
  /** Adds the WebOTP line (`@example.com #123456`) that lets browsers and Android fill the code in. */
  webOtpDomain?: string;
}

export function renderCodeMessage({ appName, code, ttlMs, locale, webOtpDomain }: CodeMessageOptions): string {
  const wording = WORDING[locale];
  // Never promise more time than the code has: whole minutes only when the TTL is whole minutes.
  const [count, [one, many]] =
    ttlMs % 60_000 === 0 ? [ttlMs / 60_000, wording.minute] : [Math.floor(ttlMs / 1000), wording.second];
  const text = wording.text(appName, code, `${count} ${count === 1 ? one : many}`);
  // The WebOTP format requires the origin line to be the message's last line.
  return webOtpDomain ? `${text}\n\n@${webOtpDomain} #${code}` : text;
}

/**
 * The language of the SMS: the explicit `locale` field if supported, else the best supported
 * language of `Accept-Language` (by q-value), else English.
 */
export function resolveLocale(explicit?: string, acceptLanguage?: string): SmsLocale {
  const supported = (tag: string) => SMS_LOCALES.find((locale) => locale === tag.trim().toLowerCase().split(/[-_]/)[0]);
  const fromField = explicit && supported(explicit);
  if (fromField) return fromField;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/i.exec(p)?.[1]).find(Boolean);
      return { tag, q: q === undefined ? 1 : Number(q) };
    })
    .filter(({ q }) => q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const locale = supported(tag);
    if (locale) return locale;
  }
  return 'en';
}

interface VoiceWording {
  /** `<Say language>`: the five languages, in the locale most callers expect. */
  language: string;
  /** A voice that speaks `language`: Twilio's default voice ("man") has no Brazilian Portuguese. */
  voice: string;
  first: (app: string, digits: string) => string;
  again: (digits: string) => string;
}

const VOICE_WORDING: Record<SmsLocale, VoiceWording> = {
  en: {
    language: 'en-US',
    voice: 'Polly.Joanna',
    first: (app, digits) => `Your ${app} code is ${digits}`,
    again: (digits) => `Once again, your code is ${digits}`,
  },
  es: {
    language: 'es-ES',
    voice: 'Polly.Lucia',
    first: (app, digits) => `Tu código de ${app} es ${digits}`,
    again: (digits) => `Repito, tu código es ${digits}`,
  },
  fr: {
    language: 'fr-FR',
    voice: 'Polly.Lea',
    first: (app, digits) => `Votre code ${app} est ${digits}`,
    again: (digits) => `Je répète, votre code est ${digits}`,
  },
  de: {
    language: 'de-DE',
    voice: 'Polly.Vicki',
    first: (app, digits) => `Ihr ${app}-Code lautet ${digits}`,
    again: (digits) => `Noch einmal, Ihr Code lautet ${digits}`,
  },
  pt: {
    language: 'pt-BR',
    voice: 'Polly.Camila',
    first: (app, digits) => `O seu código ${app} é ${digits}`,
    again: (digits) => `Repetindo, o seu código é ${digits}`,
  },
};

export interface VoiceMessageOptions {
  appName: string;
  code: string;
  locale: SmsLocale;
}

/**
 * TwiML for a call that reads the code out. Digits are separated so the voice says "one, two,
 * three" rather than "one hundred and twenty-three", and the code is said twice, since a listener
 * cannot scroll back; the opening pause lets the phone reach the ear before the code starts.
 */
export function renderVoiceTwiml({ appName, code, locale }: VoiceMessageOptions): string {
  const { language, voice, first, again } = VOICE_WORDING[locale];
  const digits = `${[...code].join(', ')}.`;
  const say = (text: string) => `<Say language="${language}" voice="${voice}">${escapeXml(text)}</Say>`;
  const pause = '<Pause length="1"/>';
  return `<Response>${pause}${say(first(appName, digits))}${pause}${say(again(digits))}</Response>`;
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => XML_ENTITIES[char]);
}
