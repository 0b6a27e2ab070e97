import { renderCodeMessage, resolveLocale, SMS_LOCALES, type SmsLocale } from './code-message';

const MINUTE = 60_000;
const render = (locale: SmsLocale, ttlMs = 5 * MINUTE, webOtpDomain?: string) =>
  renderCodeMessage({ appName: 'Acme', code: '012345', ttlMs, locale, webOtpDomain });

describe('renderCodeMessage', () => {
  it.each<[SmsLocale, string]>([
    ['en', 'Your Acme code is 012345. It expires in 5 minutes.'],
    ['es', 'Tu código de Acme es 012345. Caduca en 5 minutos.'],
    ['fr', 'Votre code Acme est 012345. Il expire dans 5 minutes.'],
    ['de', 'Ihr Acme-Code lautet 012345. Er läuft in 5 Minuten ab.'],
    ['pt', 'O seu código Acme é 012345. Expira em 5 minutos.'],
  ])('words the %s message with the app name, the code (leading zero kept) and the lifetime', (locale, text) => {
    expect(render(locale)).toBe(text);
  });

  it('has a template for every supported locale and for nothing else', () => {
    expect([...SMS_LOCALES].sort()).toEqual(['de', 'en', 'es', 'fr', 'pt']);
  });

  describe.each<[SmsLocale, string, string, string, string]>([
    ['en', '1 minute', '2 minutes', '1 second', '90 seconds'],
    ['es', '1 minuto', '2 minutos', '1 segundo', '90 segundos'],
    ['fr', '1 minute', '2 minutes', '1 seconde', '90 secondes'],
    ['de', '1 Minute', '2 Minuten', '1 Sekunde', '90 Sekunden'],
    ['pt', '1 minuto', '2 minutos', '1 segundo', '90 segundos'],
  ])('units in %s', (locale, oneMinute, twoMinutes, oneSecond, ninetySeconds) => {
    it(`says "${oneMinute}" for a 60s code`, () => {
      expect(render(locale, MINUTE)).toContain(` ${oneMinute}`);
      expect(render(locale, MINUTE)).not.toContain(twoMinutes.split(' ')[1]);
    });

    it(`says "${twoMinutes}" for a 2m code`, () => {
      expect(render(locale, 2 * MINUTE)).toContain(` ${twoMinutes}`);
    });

    it(`says "${oneSecond}" for a 1s code`, () => {
      expect(render(locale, 1_000)).toContain(` ${oneSecond}`);
      expect(render(locale, 1_000)).not.toContain(ninetySeconds.split(' ')[1]);
    });

    it(`says "${ninetySeconds}" for a 90s code, not a rounded number of minutes`, () => {
      expect(render(locale, 90_000)).toContain(` ${ninetySeconds}`);
    });
  });

  it('never promises more time than the code has: a 61.5s code says 61 seconds', () => {
    expect(render('en', 61_500)).toBe('Your Acme code is 012345. It expires in 61 seconds.');
  });

  it('counts a whole number of hours in minutes', () => {
    expect(render('en', 60 * MINUTE)).toBe('Your Acme code is 012345. It expires in 60 minutes.');
  });

  it.each(SMS_LOCALES)('ends the %s message with the WebOTP line "@domain #code" after a blank line', (locale) => {
    const body = render(locale, 5 * MINUTE, 'example.com');

    expect(body).toBe(`${render(locale)}\n\n@example.com #012345`);
    expect(body.split('\n').at(-1)).toBe('@example.com #012345');
  });

  it('adds no WebOTP line when no domain is configured', () => {
    expect(render('en')).not.toContain('\n');
    expect(render('en')).not.toContain('@');
  });
});

describe('resolveLocale', () => {
  it.each([
    ['es', 'es'],
    ['ES', 'es'],
    ['pt-BR', 'pt'],
    ['pt_PT', 'pt'],
    ['fr-CA', 'fr'],
    ['de-Latn-AT', 'de'],
    [' en-GB ', 'en'],
  ])('takes the supported language of the locale field %j', (field, locale) => {
    expect(resolveLocale(field, 'de')).toBe(locale);
  });

  it('prefers the locale field over Accept-Language', () => {
    expect(resolveLocale('es', 'fr-CA,fr;q=0.9,en;q=0.5')).toBe('es');
  });

  it('falls through to Accept-Language when the locale field is unsupported', () => {
    expect(resolveLocale('ja', 'pt-BR,pt;q=0.9')).toBe('pt');
  });

  it.each([
    ['fr-CA,fr;q=0.9,en;q=0.5', 'fr'],
    ['en;q=0.5,de;q=0.8', 'de'],
    ['ja,es;q=0.2,fr;q=0.7', 'fr'],
    ['ja;q=1,zh;q=0.9,pt-BR;q=0.1', 'pt'],
    ['de,es', 'de'],
    ['es;q=0.5,de;q=0.5', 'es'],
    [' pt-BR ; q=0.7 , ja', 'pt'],
  ])('ranks Accept-Language %j by q-value and picks %s', (header, locale) => {
    expect(resolveLocale(undefined, header)).toBe(locale);
  });

  it.each([
    ['es;q=0,de;q=0.1', 'de'],
    ['fr;q=0,es;q=0.0,de;q=0.000', 'en'],
  ])('never picks a language refused with q=0 (%j)', (header, locale) => {
    expect(resolveLocale(undefined, header)).toBe(locale);
  });

  it('reads the q parameter case-insensitively, as RFC 9110 does', () => {
    expect(resolveLocale(undefined, 'en;q=0.9,de;Q=0.1')).toBe('en');
  });

  it.each([
    [undefined, undefined],
    ['', ''],
    ['ja', 'ja,zh-CN;q=0.8,*;q=0.1'],
    [undefined, 'garbage;;;,,'],
  ])('falls back to English for locale %j and Accept-Language %j', (field, header) => {
    expect(resolveLocale(field, header)).toBe('en');
  });
});
