import { renderCodeMessage, renderVoiceTwiml, resolveLocale, SMS_LOCALES, type SmsLocale } from './code-message';

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

describe('renderVoiceTwiml', () => {
  const twiml = (locale: SmsLocale, code = '012345', appName = 'Acme') => renderVoiceTwiml({ appName, code, locale });
  /** The text of each <Say>, in order. */
  const spoken = (xml: string) => [...xml.matchAll(/<Say [^>]*>([^<]*)<\/Say>/g)].map((match) => match[1]);

  it('reads the English code digit by digit, twice, with a pause before and between', () => {
    expect(twiml('en')).toBe(
      '<Response><Pause length="1"/>' +
        '<Say language="en-US" voice="Polly.Joanna">Your Acme code is 0, 1, 2, 3, 4, 5.</Say>' +
        '<Pause length="1"/>' +
        '<Say language="en-US" voice="Polly.Joanna">Once again, your code is 0, 1, 2, 3, 4, 5.</Say>' +
        '</Response>',
    );
  });

  it('reads the Spanish code in Spanish, with a Spanish voice', () => {
    expect(twiml('es')).toBe(
      '<Response><Pause length="1"/>' +
        '<Say language="es-ES" voice="Polly.Lucia">Tu código de Acme es 0, 1, 2, 3, 4, 5.</Say>' +
        '<Pause length="1"/>' +
        '<Say language="es-ES" voice="Polly.Lucia">Repito, tu código es 0, 1, 2, 3, 4, 5.</Say>' +
        '</Response>',
    );
  });

  it.each<[SmsLocale, string, string, string]>([
    ['en', 'en-US', 'Your Acme code is', 'Once again'],
    ['es', 'es-ES', 'Tu código de Acme es', 'Repito'],
    ['fr', 'fr-FR', 'Votre code Acme est', 'Je répète'],
    ['de', 'de-DE', 'Ihr Acme-Code lautet', 'Noch einmal'],
    ['pt', 'pt-BR', 'O seu código Acme é', 'Repetindo'],
  ])('speaks %s as %s: the code twice, the second time announced as a repeat', (locale, language, intro, repeat) => {
    const xml = twiml(locale);
    const says = spoken(xml);

    expect(says).toHaveLength(2);
    expect(says[0]).toBe(`${intro} 0, 1, 2, 3, 4, 5.`);
    expect(says[1].startsWith(repeat)).toBe(true);
    expect(says[1].endsWith(' 0, 1, 2, 3, 4, 5.')).toBe(true);
    expect(xml.match(/<Say language="([^"]+)"/g)).toEqual([
      `<Say language="${language}"`,
      `<Say language="${language}"`,
    ]);
    expect(xml.split('<Pause length="1"/>')).toHaveLength(3);
  });

  it('never says the code as one number: no two digits of it are adjacent', () => {
    for (const locale of SMS_LOCALES) {
      for (const text of spoken(twiml(locale, '9876543210'))) {
        expect(text).toContain('9, 8, 7, 6, 5, 4, 3, 2, 1, 0.');
        expect(text).not.toMatch(/\d\d/);
      }
    }
  });

  it('escapes the app name for XML, so a name cannot break or add to the TwiML', () => {
    const xml = twiml('en', '123456', `Tom & Jerry's <Say>"Shop"</Say>`);

    expect(spoken(xml)[0]).toBe(
      'Your Tom &amp; Jerry&apos;s &lt;Say&gt;&quot;Shop&quot;&lt;/Say&gt; code is 1, 2, 3, 4, 5, 6.',
    );
    expect(xml.match(/<Say /g)).toHaveLength(2);
    expect(xml).not.toContain('<Say>');
  });
});
