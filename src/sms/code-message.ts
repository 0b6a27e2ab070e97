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
