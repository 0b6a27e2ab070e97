import type { SmsLocale } from './code-message';

const PHONE_CHANGED: Record<SmsLocale, (app: string) => string> = {
  en: (app) =>
    `The phone number of your ${app} account was changed, so this number no longer signs in to it. ` +
    `If this was not you, contact ${app} support.`,
  es: (app) =>
    `El número de teléfono de tu cuenta de ${app} ha cambiado y este número ya no sirve para iniciar sesión. ` +
    `Si no fuiste tú, contacta con el soporte de ${app}.`,
  fr: (app) =>
    `Le numéro de téléphone de votre compte ${app} a été modifié : ce numéro ne permet plus de vous connecter. ` +
    `Si ce n'était pas vous, contactez le support ${app}.`,
  de: (app) =>
    `Die Telefonnummer Ihres ${app}-Kontos wurde geändert; mit dieser Nummer melden Sie sich nicht mehr an. ` +
    `Falls Sie das nicht waren, wenden Sie sich an den ${app}-Support.`,
  pt: (app) =>
    `O número de telefone da sua conta ${app} foi alterado e este número já não permite iniciar sessão. ` +
    `Se não foi você, contacte o suporte ${app}.`,
};

/** The text the old number gets when its account moves to another number. */
export function renderPhoneChangedNotice(appName: string, locale: SmsLocale): string {
  return PHONE_CHANGED[locale](appName);
}
