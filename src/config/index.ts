import { appConfig, LOG_LEVELS } from './app.config';
import { databaseConfig } from './database.config';
import { jwtConfig } from './jwt.config';
import { otpConfig } from './otp.config';
import { phoneConfig } from './phone.config';
import { sessionConfig } from './session.config';
import { smsConfig } from './sms.config';
import { throttleConfig } from './throttle.config';

export {
  LOG_LEVELS,
  appConfig,
  databaseConfig,
  jwtConfig,
  otpConfig,
  phoneConfig,
  sessionConfig,
  smsConfig,
  throttleConfig,
};

/** Every namespace; each one validates its variables when loaded, so a bad value stops the boot. */
export const configNamespaces = [
  appConfig,
  databaseConfig,
  jwtConfig,
  otpConfig,
  phoneConfig,
  sessionConfig,
  smsConfig,
  throttleConfig,
];
