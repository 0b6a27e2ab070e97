import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { type BrowserContext, type Page } from 'playwright-core';
import { Passkey } from '../src/passkeys/passkey.entity';
import { inChromium, launchChromium, type Chromium } from './helpers/chromium';
import { closedPort } from './helpers/loopback';
import { expectProblem } from './helpers/problems';
import { signIn, type SignedIn } from './helpers/sign-in';
import { useTestApp } from './helpers/test-app';

const SCREENSHOT = join(__dirname, 'artifacts', 'passkeys-demo.png');
const DOCS_SCREENSHOT = join(__dirname, '..', 'docs', 'passkeys-demo.png');

const totpCode = (secret: string, at: number) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: at });

describe('The demo page (/demo/) over HTTP', () => {
  const app = useTestApp('sqlite');
  const file = (name: string) => readFileSync(join(__dirname, '..', 'src', 'demo', 'public', name), 'utf8');

  it.each([
    ['/demo', 'index.html', 'text/html; charset=utf-8'],
    ['/demo/', 'index.html', 'text/html; charset=utf-8'],
    ['/demo/demo.js', 'demo.js', 'text/javascript; charset=utf-8'],
    ['/demo/demo.css', 'demo.css', 'text/css; charset=utf-8'],
  ])('serves %s without a token: %s as %s, under the strict CSP', async (path, name, type) => {
    const res = await app().http().get(path).expect(200);

    expect(res.headers['content-type']).toBe(type);
    expect(res.text).toBe(file(name));
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("script-src-attr 'none'");
  });

  it('has no inline script or event handler for the CSP to block', () => {
    const page = file('index.html');
    expect([...page.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag)).toEqual([
      '<script type="module" src="/demo/demo.js">',
    ]);
    expect(page).not.toMatch(/\son[a-z]+=/i);
  });

  it('stays out of the OpenAPI document', async () => {
    const res = await app().http().get('/api/docs-json').expect(200);
    expect(Object.keys((res.body as { paths: object }).paths).filter((path) => path.startsWith('/demo'))).toEqual([]);
  });
});

inChromium('passkeys-page.e2e-spec')('The demo page (/demo/) in Chromium, with a virtual authenticator', () => {
  let port: number;
  let baseUrl: string;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  /** Console errors and CSP violations the pages reported. */
  const pageErrors: string[] = [];

  // Declared before the app, so that the browser lets go of it before it closes.
  afterAll(() => browser?.close());
  // The RP ID is localhost, so the page must be on http://localhost:PORT, and the app must know PORT first.
  beforeAll(async () => {
    port = await closedPort();
    baseUrl = `http://localhost:${port}`;
  });
  const app = useTestApp('sqlite', () => ({
    env: { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: `http://localhost:${port}` },
  }));

  beforeAll(async () => {
    await app().app.listen(port, '127.0.0.1');
    browser = await launchChromium('passkeys-page', {
      viewport: { width: 900, height: 700 },
    });
    context = browser.context;
  }, 60_000);

  /**
   * A new tab with its own virtual authenticator: a platform authenticator that holds discoverable
   * credentials, verifies the user and consents without a prompt. `initScript` runs before the page's.
   */
  async function openPage(initScript?: string): Promise<{ page: Page; credentials: () => Promise<Credential[]> }> {
    pageErrors.length = 0;
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      // The browser logs each 4xx answer; the page shows those as problems, which the tests check.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(message.text());
      }
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    if (initScript) await page.addInitScript(initScript);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    const credentials = async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials as Credential[];
    await page.goto(`${baseUrl}/demo/`);
    await page.locator('#signed-out').waitFor();
    return { page, credentials };
  }

  interface Credential {
    credentialId: string;
    rpId?: string;
    isResidentCredential: boolean;
  }

  /** Waits for the page to say `text`; fails at once with the problem it shows instead, if it does. */
  async function status(page: Page, text: string): Promise<void> {
    const expected = page.locator('#status', { hasText: text });
    const problem = page.getByRole('alert');
    await expected.or(problem).first().waitFor();
    if (await problem.isVisible())
      throw new Error(`the page shows a problem, not "${text}":\n${await problem.innerText()}`);
  }

  /** Phone number, texted code, Verify; returns verify-otp's answer as the page received it. */
  async function signInWithSms(page: Page, phoneNumber: string): Promise<Record<string, unknown>> {
    await page.getByLabel('Phone number').fill(phoneNumber);
    await page.getByRole('button', { name: 'Send code' }).click();
    await status(page, `Code sent to ${phoneNumber}.`);
    await page.getByLabel('Code from the SMS').fill(app().sms.lastCodeFor(phoneNumber));
    const verified = page.waitForResponse((res) => res.url().endsWith('/api/auth/verify-otp/'));
    await page.getByRole('button', { name: 'Verify' }).click();
    return (await (await verified).json()) as Record<string, unknown>;
  }

  async function registerPasskey(page: Page, name: string): Promise<void> {
    await page.getByLabel('Name for a new passkey').fill(name);
    await page.getByRole('button', { name: 'Register a passkey' }).click();
    await status(page, `Passkey “${name}” registered.`);
  }

  async function signOut(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await status(page, 'Signed out.');
    await page.locator('#signed-out').waitFor();
  }

  /** Presses "Sign in with a passkey"; returns login/verify's status and body as the page received them. */
  async function signInWithPasskey(page: Page): Promise<{ status: number; body: Record<string, unknown> }> {
    const verified = page.waitForResponse((res) => res.url().endsWith('/api/auth/passkeys/login/verify/'));
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const res = await verified;
    return { status: res.status(), body: (await res.json()) as Record<string, unknown> };
  }

  const passkeysOf = (userId: number) => app().db.getRepository(Passkey).find({ where: { userId } });
  const profileText = (page: Page) => page.locator('#profile').innerText();

  it('signs in with a code, registers a passkey, signs out, signs in with the passkey alone; a deleted passkey is refused', async () => {
    const phoneNumber = '+12015550181';
    const { page, credentials } = await openPage();

    const sms = (await signInWithSms(page, phoneNumber)) as unknown as SignedIn;
    await status(page, 'Signed in with an SMS code.');
    await expect(profileText(page)).resolves.toContain(phoneNumber);
    await expect(page.locator('#passkeys').innerText()).resolves.toBe('No passkeys yet.');

    await registerPasskey(page, 'Test laptop');
    const [row] = await passkeysOf(sms.user.id);
    expect(row).toMatchObject({ name: 'Test laptop', lastUsedAt: null, clonedAt: null });
    // The browser's authenticator holds the private key of the very credential the server stored.
    const [held] = await credentials();
    expect(held).toMatchObject({ rpId: 'localhost', isResidentCredential: true });
    expect(Buffer.from(held.credentialId, 'base64').toString('base64url')).toBe(row.credentialId);
    await expect(page.locator('#passkeys li').innerText()).resolves.toMatch(/^Test laptop · added .+ · never used/);

    await signOut(page);
    expectProblem(await app().api.refresh(sms.tokens.refresh), 401, 'unauthorized');

    const passkey = await signInWithPasskey(page);
    expect(passkey.status).toBe(200);
    await status(page, 'Signed in with a passkey.');
    await expect(profileText(page)).resolves.toContain(phoneNumber);
    await expect(page.locator('#passkeys li').innerText()).resolves.toMatch(/^Test laptop · added .+ · last used /);
    mkdirSync(join(__dirname, 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    // The README's picture is refreshed on request only, so a test run leaves the tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);

    // The page's passkey sign-in opened a real session, fresh enough to remove the passkey with.
    const { user, tokens } = passkey.body as unknown as SignedIn;
    expect(passkey.body).toMatchObject({ message: 'Authentication successful', is_new_user: false });
    expect(user.id).toBe(sms.user.id);
    await expect(app().api.profile(tokens.access).expect(200)).resolves.toMatchObject({
      body: { user: { id: sms.user.id, phone_number: phoneNumber } },
    });
    const listed = await app()
      .http()
      .get('/api/auth/passkeys/')
      .set('Authorization', `Bearer ${tokens.access}`)
      .expect(200);
    expect(listed.body).toEqual({ passkeys: [expect.objectContaining({ id: row.id, name: 'Test laptop' })] });
    await app()
      .http()
      .delete(`/api/auth/passkeys/${row.id}/`)
      .set('Authorization', `Bearer ${tokens.access}`)
      .expect(204);
    await expect(passkeysOf(sms.user.id)).resolves.toEqual([]);

    // The authenticator still offers the credential; the server no longer knows it.
    await signOut(page);
    const refused = await signInWithPasskey(page);
    expect(refused).toMatchObject({ status: 401, body: { code: 'passkey_rejected' } });
    const problem = page.getByRole('alert');
    await problem.waitFor();
    await expect(problem.innerText()).resolves.toContain(refused.body.title as string);
    await expect(problem.innerText()).resolves.toContain('code: passkey_rejected · HTTP 401');
    await expect(page.locator('#signed-out').isVisible()).resolves.toBe(true);

    // The Content-Security-Policy (src/app.setup.ts) lets the page run whole: no inline code to block.
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it('works the same where the browser lacks the WebAuthn JSON helpers (the page converts base64url itself)', async () => {
    const phoneNumber = '+12015550182';
    const { page } = await openPage(
      'delete PublicKeyCredential.parseCreationOptionsFromJSON;' +
        'delete PublicKeyCredential.parseRequestOptionsFromJSON;' +
        'delete PublicKeyCredential.prototype.toJSON;',
    );
    await expect(page.evaluate('typeof PublicKeyCredential.prototype.toJSON')).resolves.toBe('undefined');

    const sms = (await signInWithSms(page, phoneNumber)) as unknown as SignedIn;
    await registerPasskey(page, 'Old browser');
    await signOut(page);
    await expect(signInWithPasskey(page)).resolves.toMatchObject({ status: 200 });
    await status(page, 'Signed in with a passkey.');
    await expect(profileText(page)).resolves.toContain(phoneNumber);
    const [row] = await passkeysOf(sms.user.id);
    expect(row.lastUsedAt).toBeInstanceOf(Date);

    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it('asks a user with an authenticator app for the second factor, and takes a passkey instead of a TOTP code', async () => {
    const phoneNumber = '+12015550183';
    const t = app();
    const { tokens } = await signIn(t, phoneNumber);
    const { secret } = (await t.api.enrolTotp(tokens.access).expect(200)).body as { secret: string };
    await t.api.activateTotp(tokens.access, totpCode(secret, Date.now())).expect(200);
    const { page } = await openPage();

    const challenged = await signInWithSms(page, phoneNumber);
    expect(challenged).toMatchObject({ mfa_required: true, factors: ['totp', 'recovery_code'] });
    await status(page, 'This account has a second factor.');
    await expect(page.getByRole('button', { name: 'Use a passkey instead' }).isVisible()).resolves.toBe(false);
    // The next step's code: the one of this step was spent activating the app.
    await page
      .getByLabel('Second factor: code from your authenticator app')
      .fill(totpCode(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Continue' }).click();
    await status(page, 'Signed in with an SMS code and an authenticator app.');
    await registerPasskey(page, 'Phone');
    await signOut(page);

    const again = await signInWithSms(page, phoneNumber);
    expect(again).toMatchObject({ mfa_required: true, factors: expect.arrayContaining(['totp', 'passkey']) });
    await page.getByRole('button', { name: 'Use a passkey instead' }).click();
    await status(page, 'Signed in with an SMS code and a passkey.');
    await expect(profileText(page)).resolves.toContain(phoneNumber);

    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000);
});
