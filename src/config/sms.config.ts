import { registerAs } from '@nestjs/config';
import { envDuration, envOneOf, envOptional, envOrNone, envRatio, envString, isProduction, reject } from './env';
import { envCredential, envOptionalSecret } from './secrets';

export const SMS_PROVIDERS = ['mock', 'twilio', 'twilio-verify', 'webhook'] as const;
export type SmsProvider = (typeof SMS_PROVIDERS)[number];

/** Twilio Messaging sends from a number, or through a Messaging Service (which wins when both are set). */
export type TwilioSenderConfig = { from: string } | { messagingServiceSid: string };

/**
 * Twilio Messaging's other channels and its delivery receipts, each optional. WhatsApp goes from
 * `whatsappFrom`, else from the SMS sender (TWILIO_FROM or the Messaging Service); calls come from
 * `voiceFrom`, else from the SMS sender's number: a Messaging Service cannot call.
 */
export interface TwilioChannelsConfig {
  /** TWILIO_WHATSAPP_FROM. */
  whatsappFrom?: string;
  /** TWILIO_WHATSAPP_CONTENT_SID: the approved template WhatsApp needs for a conversation we start. */
  whatsappContentSid?: string;
  /** TWILIO_VOICE_FROM; or TWILIO_FROM when a Messaging Service, not that number, sends the texts. */
  voiceFrom?: string;
  /** TWILIO_STATUS_CALLBACK_URL: where Twilio posts delivery receipts; none are asked for without it. */
  statusCallbackUrl?: string;
}

export interface TwilioAccountConfig {
  accountSid: string;
  authToken: string;
  /** Where the Twilio SDK's requests go instead of *.twilio.com: a proxy, or a fake in tests. */
  apiBaseUrl: string | undefined;
}

/** Exactly the settings the chosen provider needs, each one present and checked. */
export type SmsProviderConfig =
  | { provider: 'mock'; mock: { failureRate: number; outbox: string | undefined } }
  | { provider: 'twilio'; twilio: TwilioAccountConfig & { sender: TwilioSenderConfig } & TwilioChannelsConfig }
  | { provider: 'twilio-verify'; twilio: TwilioAccountConfig & { verifyServiceSid: string } }
  | { provider: 'webhook'; webhook: { url: string; secret: string } };

function envDomain(name: string): string | undefined {
  const value = envOptional(name)?.toLowerCase();
  if (value !== undefined && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(value)) {
    return reject(name, `expected a bare domain such as example.com, got "${value}"`, undefined);
  }
  return value;
}

function envUrl(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && !(URL.canParse(value) && /^https?:$/.test(new URL(value).protocol))) {
    return reject(name, `expected an http(s) URL, got "${value}"`, undefined);
  }
  return value;
}

/** A Twilio number, bare E.164: the adapter adds the `whatsapp:` prefix itself. */
function envE164(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && !/^\+[1-9]\d{1,14}$/.test(value)) {
    const hint = value.toLowerCase().startsWith('whatsapp:') ? ', without the whatsapp: prefix' : '';
    return reject(name, `expected an E.164 number such as +12015550199${hint}, got "${value}"`, undefined);
  }
  return value;
}

function envContentSid(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && !/^HX[0-9a-f]{32}$/i.test(value)) {
    return reject(name, 'expected a Content Template SID: HX followed by 32 hex digits', undefined);
  }
  return value;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Twilio posts delivery receipts here. They say which codes arrived, so they must not be readable
 * or forgeable on the way: https, except plain http to loopback (a local fake) outside production.
 */
function envCallbackUrl(name: string): string | undefined {
  const value = envOptional(name);
  if (value === undefined) return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !/^https?:$/.test(url.protocol)) return reject(name, `expected an https URL, got "${value}"`, undefined);
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    return reject(name, `must use https (plain http only to loopback), got "${value}"`, undefined);
  }
  if (url.protocol === 'http:' && isProduction()) {
    return reject(name, `must use https in production, got "${value}"`, undefined);
  }
  return value;
}

/** The SDK wants the account SID (AC…); an API key SID (SK…) there would fail only at the first SMS. */
function envAccountSid(name: string): string | undefined {
  const value = envOptional(name);
  if (value !== undefined && !/^AC[0-9a-f]{32}$/i.test(value)) {
    return reject(name, 'expected an account SID: AC followed by 32 hex digits', undefined);
  }
  return value;
}

/**
 * Every SMS variable is checked when set, whichever provider is chosen; the chosen provider's
 * own settings must also be present.
 */
function readProviderSettings() {
  return {
    mockFailureRate: envRatio('SMS_MOCK_FAILURE_RATE', 0.05),
    mockOutbox: envOrNone('SMS_MOCK_OUTBOX', 'data/sms-outbox.jsonl'),
    accountSid: envAccountSid('TWILIO_ACCOUNT_SID'),
    authToken: envCredential('TWILIO_AUTH_TOKEN'),
    from: envOptional('TWILIO_FROM'),
    messagingServiceSid: envOptional('TWILIO_MESSAGING_SERVICE_SID'),
    verifyServiceSid: envOptional('TWILIO_VERIFY_SERVICE_SID'),
    apiBaseUrl: envUrl('TWILIO_API_BASE_URL'),
    whatsappFrom: envE164('TWILIO_WHATSAPP_FROM'),
    whatsappContentSid: envContentSid('TWILIO_WHATSAPP_CONTENT_SID'),
    voiceFrom: envE164('TWILIO_VOICE_FROM'),
    statusCallbackUrl: envCallbackUrl('TWILIO_STATUS_CALLBACK_URL'),
    webhookUrl: envUrl('SMS_WEBHOOK_URL'),
    webhookSecret: envOptionalSecret('SMS_WEBHOOK_SECRET'),
  };
}

type ProviderSettings = ReturnType<typeof readProviderSettings>;

function required(value: string | undefined, name: string, provider: SmsProvider): string {
  return value ?? reject(name, `required when SMS_PROVIDER=${provider}`, '');
}

function twilioSender({ messagingServiceSid, from }: ProviderSettings): TwilioSenderConfig {
  if (messagingServiceSid) return { messagingServiceSid };
  const problem = 'set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID when SMS_PROVIDER=twilio';
  return { from: from ?? reject('TWILIO_FROM', problem, '') };
}

function twilioChannels(settings: ProviderSettings, sender: TwilioSenderConfig): TwilioChannelsConfig {
  const { whatsappFrom, whatsappContentSid, voiceFrom, statusCallbackUrl, from } = settings;
  return {
    whatsappFrom,
    whatsappContentSid,
    // TWILIO_FROM as the SMS sender already reaches the adapter; behind a Messaging Service it would not.
    voiceFrom: voiceFrom ?? ('messagingServiceSid' in sender ? from : undefined),
    statusCallbackUrl,
  };
}

function providerConfig(provider: SmsProvider): SmsProviderConfig {
  const settings = readProviderSettings();
  const account = (): TwilioAccountConfig => ({
    accountSid: required(settings.accountSid, 'TWILIO_ACCOUNT_SID', provider),
    authToken: required(settings.authToken, 'TWILIO_AUTH_TOKEN', provider),
    apiBaseUrl: settings.apiBaseUrl,
  });
  switch (provider) {
    case 'mock':
      if (isProduction()) {
        reject(
          'SMS_PROVIDER',
          'the mock provider does not deliver SMS and is refused in production; set twilio, twilio-verify or webhook',
          undefined,
        );
      }
      return { provider, mock: { failureRate: settings.mockFailureRate, outbox: settings.mockOutbox } };
    case 'twilio': {
      const twilio = account();
      const sender = twilioSender(settings);
      return { provider, twilio: { ...twilio, sender, ...twilioChannels(settings, sender) } };
    }
    case 'twilio-verify':
      return {
        provider,
        twilio: {
          ...account(),
          verifyServiceSid: required(settings.verifyServiceSid, 'TWILIO_VERIFY_SERVICE_SID', provider),
        },
      };
    case 'webhook':
      return {
        provider,
        webhook: {
          url: required(settings.webhookUrl, 'SMS_WEBHOOK_URL', provider),
          secret: required(settings.webhookSecret, 'SMS_WEBHOOK_SECRET', provider),
        },
      };
  }
}

export const smsConfig = registerAs('sms', () => ({
  appName: envString('APP_NAME', 'Phone OTP Auth'),
  timeoutMs: envDuration('SMS_TIMEOUT', '10s'),
  webOtpDomain: envDomain('SMS_WEBOTP_DOMAIN'),
  ...providerConfig(envOneOf('SMS_PROVIDER', 'mock', SMS_PROVIDERS)),
}));
