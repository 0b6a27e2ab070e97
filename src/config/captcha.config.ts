import { registerAs } from '@nestjs/config';
import { envDuration, envOneOf, envOptional, envRatio, isProduction, reject } from './env';
import { envCredential } from './secrets';

export const CAPTCHA_PROVIDERS = ['none', 'turnstile', 'hcaptcha', 'recaptcha'] as const;
export type CaptchaProvider = (typeof CAPTCHA_PROVIDERS)[number];
/** The providers that answer the siteverify protocol: every one but `none`. */
export type SiteverifyProvider = Exclude<CaptchaProvider, 'none'>;

/** `on_risk`: only when the anti-fraud breaker challenges the number; `always`: on every code sent. */
export const CAPTCHA_MODES = ['on_risk', 'always'] as const;
export type CaptchaMode = (typeof CAPTCHA_MODES)[number];

export const SITEVERIFY_URLS: Record<SiteverifyProvider, string> = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
  recaptcha: 'https://www.google.com/recaptcha/api/siteverify',
};

/**
 * The providers' published test secrets, which pass (or fail) every token whatever it is: in
 * production one would let every bot through, so it is refused there.
 */
const TEST_SECRETS = [
  /^[123]x0{31}AA$/, // Turnstile
  /^0x0{40}$/, // hCaptcha
  /^6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe$/, // reCAPTCHA
];

/** Exactly the settings the chosen provider needs, each one present and checked. */
export type CaptchaProviderConfig =
  { provider: 'none' } | { provider: SiteverifyProvider; siteverify: { url: string; secret: string } };

function envUrl(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && !(URL.canParse(value) && /^https?:$/.test(new URL(value).protocol))) {
    return reject(name, `expected an http(s) URL, got "${value}"`, undefined);
  }
  return value;
}

/** Host names as providers report them: no scheme, port or path. */
function envHostnames(name: string): string[] {
  const hostnames = (envOptional(name) ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  const bad = hostnames.find((host) => !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host));
  if (bad !== undefined) {
    return reject(name, `"${bad}" is not a host name such as example.com (no scheme, port or path)`, []);
  }
  return hostnames;
}

function envCaptchaSecret(name: string): string | undefined {
  const value = envCredential(name);
  if (value !== undefined && isProduction() && TEST_SECRETS.some((secret) => secret.test(value))) {
    return reject(name, "is the provider's published test secret, which accepts any token; set the real one", value);
  }
  return value;
}

/** Every captcha variable is checked when set, whichever provider is chosen. */
function providerConfig(provider: CaptchaProvider, mode: CaptchaMode): CaptchaProviderConfig {
  const secret = envCaptchaSecret('CAPTCHA_SECRET');
  const url = envUrl('CAPTCHA_VERIFY_URL');
  if (provider === 'none') {
    // An operator who asks for a captcha on every send and names no provider would otherwise get none at all.
    if (mode === 'always') reject('CAPTCHA_MODE', 'always needs CAPTCHA_PROVIDER turnstile, hcaptcha or recaptcha', 0);
    return { provider };
  }
  return {
    provider,
    siteverify: {
      url: url ?? SITEVERIFY_URLS[provider],
      secret: secret ?? reject('CAPTCHA_SECRET', `required when CAPTCHA_PROVIDER=${provider}`, ''),
    },
  };
}

export const captchaConfig = registerAs('captcha', () => {
  const mode = envOneOf('CAPTCHA_MODE', 'on_risk', CAPTCHA_MODES);
  return {
    mode,
    /** Deadline of one siteverify call. */
    timeoutMs: envDuration('CAPTCHA_TIMEOUT', '5s'),
    /** reCAPTCHA v3 scores below it are refused; answers without a score are not judged by one. */
    minScore: envRatio('CAPTCHA_MIN_SCORE', 0.5),
    /** Sites the widget may have been solved on; empty means any. */
    hostnames: envHostnames('CAPTCHA_HOSTNAMES'),
    ...providerConfig(envOneOf('CAPTCHA_PROVIDER', 'none', CAPTCHA_PROVIDERS), mode),
  };
});
