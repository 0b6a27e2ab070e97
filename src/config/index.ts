import type { ConfigType } from '@nestjs/config';
import { accountConfig } from './account.config';
import { adminConfig } from './admin.config';
import { appConfig, LOG_LEVELS } from './app.config';
import { captchaConfig } from './captcha.config';
import { databaseConfig } from './database.config';
import { deliveryConfig } from './delivery.config';
import { fraudConfig } from './fraud.config';
import { collectEnvErrors, ConfigError, EnvError } from './env';
import { jwtConfig } from './jwt.config';
import { mfaConfig } from './mfa.config';
import { otpConfig } from './otp.config';
import { phoneConfig } from './phone.config';
import { purgeConfig } from './purge.config';
import { redisConfig } from './redis.config';
import { sessionConfig } from './session.config';
import { smsConfig } from './sms.config';
import { throttleConfig } from './throttle.config';
import { webauthnConfig } from './webauthn.config';

export {
  ConfigError,
  EnvError,
  LOG_LEVELS,
  accountConfig,
  adminConfig,
  appConfig,
  captchaConfig,
  databaseConfig,
  deliveryConfig,
  fraudConfig,
  jwtConfig,
  mfaConfig,
  otpConfig,
  phoneConfig,
  purgeConfig,
  redisConfig,
  sessionConfig,
  smsConfig,
  throttleConfig,
  webauthnConfig,
};

export { PHONE_CHANGE_REVOCATIONS, type PhoneChangeRevocation } from './account.config';
export type { AdminToken, SmsPrices } from './admin.config';
export { hashAdminToken } from './admin.config';
export type { FraudAction } from './fraud.config';
export type { MfaPolicy } from './mfa.config';
export type { SmsProvider, SmsProviderConfig, TwilioAccountConfig, TwilioSenderConfig } from './sms.config';

const namespaces = {
  account: accountConfig,
  admin: adminConfig,
  app: appConfig,
  captcha: captchaConfig,
  database: databaseConfig,
  delivery: deliveryConfig,
  fraud: fraudConfig,
  jwt: jwtConfig,
  mfa: mfaConfig,
  otp: otpConfig,
  phone: phoneConfig,
  purge: purgeConfig,
  redis: redisConfig,
  session: sessionConfig,
  sms: smsConfig,
  throttle: throttleConfig,
  webauthn: webauthnConfig,
};

/** Every namespace; each one validates its variables when loaded, so a bad value stops the boot. */
export const configNamespaces = Object.values(namespaces);

export type Config = { [K in keyof typeof namespaces]: ConfigType<(typeof namespaces)[K]> };

/**
 * Reads and validates every namespace at once, before Nest exists: the boot stops with one
 * ConfigError naming every bad variable, so an operator fixes them in one pass, not one per restart.
 */
export function loadConfig(): Config {
  return collectEnvErrors(
    () => Object.fromEntries(Object.entries(namespaces).map(([key, load]) => [key, load()])) as Config,
  );
}
