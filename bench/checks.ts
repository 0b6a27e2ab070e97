// What a right answer looks like, per route and server: the load generator checks every response's
// status and body against one of these (a wrong one counts as an error, whatever its status). A
// check is plain data, so it crosses the IPC channel inside a load spec.

/** The user a GET profile (ours, B1, B3) must answer with. */
interface AppUser {
  kind: 'app-user';
  phone: string;
}
/** Our send-otp (and B5's): 200, the number the code went to. */
interface AppSent {
  kind: 'app-sent';
}
/** Our verify-otp (and B4's): 200, the user and both tokens. */
interface AppSignedIn {
  kind: 'app-signed-in';
}
/** better-auth's get-session: 200 with the session and its user (a bad token gets 200 `null`). */
interface PeerSession {
  kind: 'peer-session';
  phone: string;
}
/** better-auth's phone-number/send-otp: 200 `{"message":"code sent"}`. */
interface PeerSent {
  kind: 'peer-sent';
}
/** better-auth's phone-number/verify: 200, `status: true`, a session token and the user. */
interface PeerSignedIn {
  kind: 'peer-signed-in';
}
/** A refusal: an application/problem+json document with one of these statuses and codes. */
interface Problem {
  kind: 'problem';
  answers: { status: number; code: string }[];
}

export type BodyCheck = AppUser | AppSent | AppSignedIn | PeerSession | PeerSent | PeerSignedIn | Problem;

export interface Answer {
  status: number;
  /** As autocannon hands them over: names as the server wrote them, values as strings. */
  headers: Record<string, string | string[]>;
  body: string;
}

type Json = Record<string, unknown>;

function header(headers: Answer['headers'], name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

function object(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Why `body` is not the right user, or undefined when it is. */
function wrongUser(user: Json | undefined, phoneKey: string, phone: string | undefined): string | undefined {
  if (!user) return 'no user';
  if (phone !== undefined && user[phoneKey] !== phone) return `user ${String(user[phoneKey])}, expected ${phone}`;
  return undefined;
}

function judge(check: BodyCheck, status: number, json: Json | undefined, headers: Answer['headers'], sent?: string) {
  if (check.kind === 'problem') {
    const allowed = check.answers.filter((a) => a.status === status);
    if (!allowed.length) return `status ${status}`;
    if (!header(headers, 'content-type')?.startsWith('application/problem+json')) return 'not application/problem+json';
    if (!json || json.status !== status) return 'no problem document';
    return allowed.some((a) => a.code === json.code) ? undefined : `code ${String(json.code)}`;
  }
  if (status !== 200) return `status ${status}`;
  if (!json) return 'not a JSON object';
  switch (check.kind) {
    case 'app-user':
      return wrongUser(object(json.user), 'phone_number', check.phone);
    case 'app-sent':
      if (json.message !== 'OTP sent successfully') return `message ${String(json.message)}`;
      return json.phone_number === sent ? undefined : `phone_number ${String(json.phone_number)}, sent ${sent}`;
    case 'app-signed-in': {
      const tokens = object(json.tokens);
      if (!isText(tokens?.access) || !isText(tokens?.refresh)) return 'no tokens';
      return wrongUser(object(json.user), 'phone_number', sent);
    }
    case 'peer-session': {
      const user = object(json.user);
      if (!isText(object(json.session)?.userId) || object(json.session)?.userId !== user?.id) return 'no session';
      return wrongUser(user, 'phoneNumber', check.phone);
    }
    case 'peer-sent':
      return json.message === 'code sent' ? undefined : `message ${String(json.message)}`;
    case 'peer-signed-in':
      if (json.status !== true || !isText(json.token)) return 'no session token';
      return wrongUser(object(json.user), 'phoneNumber', sent);
  }
}

/**
 * Why the answer is wrong (a short reason), or undefined when it is right. `sent` is the phone the
 * request carried, for the checks that compare the answer with it.
 */
export function checkAnswer(check: BodyCheck, answer: Answer, sent?: string): string | undefined {
  let json: Json | undefined;
  try {
    json = object(JSON.parse(answer.body));
  } catch {
    json = undefined;
  }
  return judge(check, answer.status, json, answer.headers, sent);
}

/** A reason with enough of the answer to see what came back, for the log and the JSON. */
export function describeWrongAnswer(reason: string, answer: Answer): string {
  const body = answer.body.length > 160 ? `${answer.body.slice(0, 160)}…` : answer.body;
  return `${reason} (${answer.status} ${body})`;
}
