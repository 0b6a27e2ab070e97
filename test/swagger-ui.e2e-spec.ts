import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, type Locator, type Page } from 'playwright-core';
import { inChromium, launchChromium, type Chromium } from './helpers/chromium';
import { useTestApp } from './helpers/test-app';

const TEST_NUMBER = '+12015550111';
const TEST_CODE = '424242';
const SCREENSHOT = join(__dirname, 'artifacts', 'swagger-ui.png');
const DOCS_SCREENSHOT = join(__dirname, '..', 'docs', 'swagger-ui.png');

inChromium('swagger-ui.e2e-spec')('Swagger UI in Chromium', () => {
  let baseUrl: string;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  let page: Page;
  /** Console errors and CSP violations the page reported. */
  const pageErrors: string[] = [];

  // Declared before the app, so that the browser lets go of it before it closes.
  afterAll(() => browser?.close());
  const app = useTestApp('sqlite', { env: { OTP_TEST_NUMBERS: `${TEST_NUMBER}:${TEST_CODE}` } });

  beforeAll(async () => {
    await app().app.listen(0, '127.0.0.1');
    baseUrl = await app().app.getUrl();
    browser = await launchChromium('swagger-ui', {
      viewport: { width: 1280, height: 900 },
    });
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 60_000);

  /** Opens an operation, presses "Try it out", fills the JSON body if any, presses Execute, returns its live response. */
  async function tryItOut(operationId: string, body?: unknown): Promise<{ status: string; body: string }> {
    const operation = page.locator(`[id$="-${operationId}"]`);
    await operation.locator('.opblock-summary').first().click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    if (body !== undefined) await operation.locator('textarea.body-param__text').fill(JSON.stringify(body));
    await operation.getByRole('button', { name: 'Execute' }).click();
    const live = operation.locator('.live-responses-table .response');
    await live.first().waitFor();
    return {
      status: (await live.locator('.response-col_status').first().innerText()).trim(),
      body: await responseBody(live),
    };
  }

  async function responseBody(live: Locator): Promise<string> {
    return (await live.locator('.response-col_description pre').first().innerText()).trim();
  }

  it('signs in with a test number, authorizes with the access token and shows the profile', async () => {
    await page.goto(`${baseUrl}/api/docs`);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'Phone OTP Auth' }).waitFor();

    const sent = await tryItOut('AuthController_sendOtp', { phone_number: TEST_NUMBER });
    expect(sent.status).toBe('200');
    expect(JSON.parse(sent.body)).toMatchObject({ message: 'OTP sent successfully', phone_number: TEST_NUMBER });

    const verified = await tryItOut('AuthController_verifyOtp', { phone_number: TEST_NUMBER, otp_code: TEST_CODE });
    expect(verified.status).toBe('200');
    const signedIn = JSON.parse(verified.body) as { tokens: { access: string }; user: { phone_number: string } };
    expect(signedIn.user.phone_number).toBe(TEST_NUMBER);

    await page.locator('.scheme-container button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.getByLabel('auth-bearer-value').fill(signedIn.tokens.access);
    await dialog.getByRole('button', { name: 'Apply credentials' }).click();
    await dialog.locator('button.btn-done').click();
    await expect(page.locator('.scheme-container button.authorize.locked').count()).resolves.toBe(1);

    const profile = await tryItOut('ProfileController_get');
    expect(profile.status).toBe('200');
    expect(JSON.parse(profile.body)).toEqual({
      user: expect.objectContaining({ phone_number: TEST_NUMBER, username: TEST_NUMBER, is_phone_verified: true }),
    });
    const curl = await page.locator('[id$="-ProfileController_get"] .curl-command').innerText();
    expect(curl).toContain(`Authorization: Bearer ${signedIn.tokens.access}`);

    await page.setViewportSize({ width: 1280, height: 1100 });
    // A string, as this project compiles without the DOM library.
    await page.evaluate(`document.querySelector('[id$="-ProfileController_get"]').scrollIntoView(); scrollBy(0, -70)`);
    mkdirSync(join(__dirname, 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    // The README's picture is refreshed on request only, so a test run leaves the tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);

    // The Content-Security-Policy (helmet, src/app.setup.ts) must leave Swagger UI whole.
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
