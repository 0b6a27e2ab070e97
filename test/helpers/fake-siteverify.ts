import { createServer, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, readBody } from './loopback';

const FORM = /^application\/x-www-form-urlencoded\b/i;

/** How the fake answers: by its rules, never, with a 500, or with a body that is not JSON. */
export type FakeSiteverifyMode = 'answer' | 'hang' | 'error500' | 'garbage';

export interface FakeSiteverify {
  /** The siteverify URL to give the app as CAPTCHA_VERIFY_URL. */
  url: string;
  /** Each request's form fields (`secret`, `response`, `remoteip`), oldest first, whatever it was answered. */
  requests: Record<string, string>[];
  mode: FakeSiteverifyMode;
  /** Accepts `token` once, answering `{success: true, hostname: 'localhost', ...extra}` (e.g. a `score`). */
  pass(token: string, extra?: Record<string, unknown>): void;
  /** Refuses `token` with these codes instead of the default `invalid-input-response`. */
  fail(token: string, errorCodes?: string[]): void;
  close(): Promise<void>;
}

/**
 * The siteverify endpoint Turnstile, hCaptcha and reCAPTCHA share, on loopback. Tokens it was told
 * to pass succeed once, then answer `timeout-or-duplicate` as the real providers do; any other
 * token is refused. A request that is not a form POST gets `bad-request`; with `secret`, one with
 * another secret gets `invalid-input-secret`.
 */
export async function startFakeSiteverify({ secret }: { secret?: string } = {}): Promise<FakeSiteverify> {
  const passing = new Map<string, Record<string, unknown>>();
  const failing = new Map<string, string[]>();
  const spent = new Set<string>();

  const verdict = (form: Record<string, string>): Record<string, unknown> => {
    const token = form.response ?? '';
    const refuse = (codes: string[]) => ({ success: false, 'error-codes': codes });
    if (secret !== undefined && form.secret !== secret) return refuse(['invalid-input-secret']);
    if (!token) return refuse(['missing-input-response']);
    if (spent.has(token)) return refuse(['timeout-or-duplicate']);
    const extra = passing.get(token);
    if (!extra) return refuse(failing.get(token) ?? ['invalid-input-response']);
    spent.add(token);
    return {
      success: true,
      'error-codes': [],
      challenge_ts: new Date().toISOString(),
      hostname: 'localhost',
      ...extra,
    };
  };

  const server = createServer((req, res) => {
    readBody(req).then(
      (text) => {
        const form = Object.fromEntries(new URLSearchParams(text));
        fake.requests.push(form);
        if (fake.mode === 'hang') return;
        if (fake.mode === 'error500') return send(res, 500, 'text/plain', 'Internal Server Error');
        if (fake.mode === 'garbage') return send(res, 200, 'text/html', '<html>Just a moment...</html>');
        const formEncoded = req.method === 'POST' && FORM.test(req.headers['content-type'] ?? '');
        const answer = formEncoded ? verdict(form) : { success: false, 'error-codes': ['bad-request'] };
        send(res, 200, 'application/json', JSON.stringify(answer));
      },
      () => res.destroy(),
    );
  });
  const port = await listenOnLoopback(server);

  const fake: FakeSiteverify = {
    url: `http://127.0.0.1:${port}/siteverify`,
    requests: [],
    mode: 'answer',
    pass: (token, extra = {}) => void passing.set(token, extra),
    fail: (token, errorCodes = ['invalid-input-response']) => void failing.set(token, errorCodes),
    close: () => closeServer(server),
  };
  return fake;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}
