import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { CONSOLE_CSP } from '../src/admin/admin-console.controller';
import { AuditEvent } from '../src/audit/audit-event.entity';
import { AuditTrail, type AuditRecord } from '../src/audit/audit-trail.service';
import { maskPhone } from '../src/common/phone-number.service';
import { User } from '../src/users/user.entity';
import { inChromium, launchChromium, type Chromium } from './helpers/chromium';
import { expectProblem } from './helpers/problems';
import { signIn, type SignedIn } from './helpers/sign-in';
import { useTestApp } from './helpers/test-app';

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
const ADMIN_ENV = { ADMIN_API_TOKENS: `ops:${ADMIN_TOKEN}`, SMS_PRICES: 'US:0.0079,GB:0.04,*:0.05' };
const ARTIFACTS = join(__dirname, 'artifacts');
const DOCS = join(__dirname, '..', 'docs');
const DAY = 86_400_000;

const file = (name: string) => readFileSync(join(__dirname, '..', 'src', 'admin', 'console', name), 'utf8');

describe('The admin console (/admin/) over HTTP', () => {
  const app = useTestApp('sqlite', { env: ADMIN_ENV });

  it.each([
    ['/admin', 'text/html; charset=utf-8'],
    ['/admin/', 'text/html; charset=utf-8'],
    ['/admin/console.js', 'text/javascript; charset=utf-8'],
    ['/admin/console.css', 'text/css; charset=utf-8'],
    ['/admin/chart.umd.min.js', 'text/javascript; charset=utf-8'],
  ])('serves %s without a token as %s, under the console’s strict CSP, never cached', async (path, type) => {
    const res = await app().http().get(path).expect(200);

    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves its own files and Chart.js from node_modules, so it needs no network', async () => {
    await expect(
      app()
        .http()
        .get('/admin/')
        .then((res) => res.text),
    ).resolves.toBe(file('index.html'));
    await expect(
      app()
        .http()
        .get('/admin/console.js')
        .then((res) => res.text),
    ).resolves.toBe(file('console.js'));
    const chart = await app().http().get('/admin/chart.umd.min.js').expect(200);
    expect(chart.text).toMatch(/^\/\*!\n \* Chart\.js v4\./);
    expect(file('index.html')).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('allows no inline script, inline style, eval or other origin', () => {
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("style-src 'self'");
    expect(CONSOLE_CSP).toContain("connect-src 'self'");
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    const page = file('index.html');
    expect([...page.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag)).toEqual([
      '<script src="/admin/chart.umd.min.js" defer>',
      '<script type="module" src="/admin/console.js">',
    ]);
    expect(page).not.toMatch(/\son[a-z]+=|\sstyle=|<style/i);
  });

  it('stays out of the OpenAPI document', async () => {
    const res = await app().http().get('/api/docs-json').expect(200);
    expect(Object.keys((res.body as { paths: object }).paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
  });
});

describe('The admin console without ADMIN_API_TOKENS', () => {
  const app = useTestApp('sqlite', { env: { ADMIN_API_TOKENS: '' } });

  it.each(['/admin', '/admin/', '/admin/console.js', '/admin/chart.umd.min.js'])(
    'answers %s as a route that does not exist',
    async (path) => {
      const unknown = await app().http().get('/no-such-page/');
      const res = await app().http().get(path);

      expectProblem(res, 404, 'not_found');
      // The same problem as a path nothing serves, but for the path itself.
      expect({ ...res.body, instance: unknown.body.instance }).toEqual(unknown.body);
    },
  );
});

/** A week of sign-in traffic in five countries, written through the app's own audit trail. */
async function seedHistory(trail: AuditTrail, now: number): Promise<void> {
  const countries = [
    { number: (i: number) => `+1201555${String(1000 + i)}`, sent: 14, verifyRate: 0.86 },
    { number: (i: number) => `+447400123${String(100 + i)}`, sent: 8, verifyRate: 0.75 },
    { number: (i: number) => `+49151234567${String(10 + (i % 90))}`, sent: 6, verifyRate: 0.7 },
    { number: (i: number) => `+5511912345${String(100 + i)}`, sent: 5, verifyRate: 0.5 },
    { number: (i: number) => `+91981234${String(1000 + i)}`, sent: 4, verifyRate: 0.4 },
  ];
  const refusals = ['cooldown', 'phone_limit', 'captcha_required', 'country_budget', 'phone_not_allowed'];
  const writes: Array<[AuditRecord, Date]> = [];
  for (let day = 0; day < 7; day++) {
    countries.forEach((country, c) => {
      const sent = country.sent + ((day * 7 + c * 3) % 5);
      const verified = Math.round(sent * country.verifyRate);
      for (let i = 0; i < sent; i++) {
        const phoneNumber = country.number(i);
        const at = now - day * DAY - 3_600_000 * (1 + ((i * 5 + c) % 20)) - i * 60_000;
        const subject = { phoneNumber, purpose: 'sign_in', channel: 'sms', ip: '203.0.113.7' };
        writes.push([{ type: 'code_sent', ...subject }, new Date(at)]);
        if (i < verified) {
          const elapsedMs = 12_000 + ((i * 7919 + day * 104_729) % 70_000);
          writes.push([{ type: 'code_verified', ...subject, elapsedMs }, new Date(at + elapsedMs)]);
          writes.push([
            { type: 'sign_in', phoneNumber, isNewUser: i % 3 === 0, reason: 'otp' },
            new Date(at + elapsedMs),
          ]);
        } else {
          writes.push([{ type: 'code_failed', ...subject, reason: 'otp_invalid' }, new Date(at + 30_000)]);
        }
      }
      for (let r = 0; r < (day + c) % 4; r++) {
        const reason = refusals[(day + c + r) % refusals.length];
        writes.push([
          { type: 'code_send_refused', phoneNumber: country.number(r), reason },
          new Date(now - day * DAY - r * 600_000),
        ]);
      }
    });
  }
  for (const [record, at] of writes) await trail.write(record, at);
}

interface DrawnChart {
  width: number;
  height: number;
  labels: string[];
  datasets: Array<{ label: string; data: number[] }>;
}

interface Analytics {
  totals: { sent: number; verified: number; refused: number; conversion: number | null };
  series: Array<{ start: string; sent: number; verified: number; failed: number }>;
  by_country: Array<{ country: string | null; sent: number; conversion: number | null }>;
  refused_by_reason: Record<string, number>;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

inChromium('admin-console.e2e-spec')('The admin console in Chromium', () => {
  let baseUrl: string;
  let browser: Chromium | undefined;
  let context: BrowserContext;
  let page: Page;
  /** Console errors, page errors and CSP violations the page reported. */
  const pageErrors: string[] = [];
  /** Every request the page made: its URL and headers. */
  const requests: Array<Promise<{ url: string; headers: Record<string, string> }>> = [];
  let users: SignedIn[] = [];

  // Declared before the app, so that the browser lets go of it before it closes.
  afterAll(() => browser?.close());
  const app = useTestApp('sqlite', { env: ADMIN_ENV });

  beforeAll(async () => {
    const t = app();
    // Users signed in through the API: they have sessions, and (with the audit trail) their own events.
    users = [];
    for (const phone of ['+12015550140', '+12015550141', '+447400123456', '+4915123456799', '+5511912345699']) {
      users.push(await signIn(t, phone, 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) Mobile/15E148'));
    }
    await signIn(t, '+447400123456', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Firefox/141.0');
    await seedHistory(t.app.get(AuditTrail), Date.now());

    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
    browser = await launchChromium('admin-console', {
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      timezoneId: 'UTC',
      colorScheme: 'light',
      reducedMotion: 'reduce',
      acceptDownloads: true,
    });
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      // The browser logs each 4xx answer; the page shows those as problems, which the test checks.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(message.text());
      }
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) =>
      requests.push(request.allHeaders().then((headers) => ({ url: request.url(), headers }))),
    );
    // Reported through the console too; recorded here as well so that none can pass unseen.
    await page.addInitScript(
      `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
    );
  }, 120_000);

  /** Waits for the page to say `text`; fails at once with the problem it shows instead, if it does. */
  async function status(text: string): Promise<void> {
    const expected = page.locator('#status', { hasText: text });
    const problem = page.getByRole('alert');
    await expected.or(problem).first().waitFor();
    if (await problem.isVisible())
      throw new Error(`the page shows a problem, not "${text}":\n${await problem.innerText()}`);
  }

  async function screenshot(name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, name) });
    // The README's pictures are refreshed on request only, so a test run leaves the tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(join(ARTIFACTS, name), join(DOCS, name));
  }

  const drawnCharts = () =>
    page.evaluate<
      Record<string, DrawnChart>
    >(`Object.fromEntries(['chart-series', 'chart-countries', 'chart-refusals'].map((id) => {
      const canvas = document.getElementById(id);
      const chart = Chart.getChart(canvas);
      const box = canvas.getBoundingClientRect();
      return [id, {
        width: box.width,
        height: box.height,
        labels: chart.data.labels,
        datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })),
      }];
    }))`);

  it('refuses a wrong token and shows the problem', async () => {
    await page.goto(`${baseUrl}/admin/`);
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();

    const problem = page.getByRole('alert');
    await problem.waitFor();
    await expect(problem.innerText()).resolves.toContain('An admin token is required.');
    await expect(problem.innerText()).resolves.toContain('code: unauthorized · HTTP 401');
    await expect(page.evaluate('sessionStorage.length')).resolves.toBe(0);
  }, 30_000);

  it('signs in and draws the analytics the API answers, from the seeded history', async () => {
    const analytics = page.waitForResponse((res) => res.url().includes('/api/admin/analytics/'));
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await status('Signed in.');
    const answer = (await (await analytics).json()) as Analytics;
    const charts = await drawnCharts();

    for (const chart of Object.values(charts)) {
      expect(chart.width).toBeGreaterThan(200);
      expect(chart.height).toBeGreaterThan(150);
    }
    // Seven days of seeded traffic (and the sign-ins above) are in the range the page asked for.
    expect(answer.totals.sent).toBeGreaterThan(200);
    const [sent, verified] = charts['chart-series'].datasets;
    expect(sent).toEqual({ label: 'Sent', data: answer.series.map((point) => point.sent) });
    expect(sum(sent.data)).toBe(answer.totals.sent);
    expect(sum(verified.data)).toBe(answer.totals.verified);
    const countries = answer.by_country.filter((entry) => entry.sent > 0);
    expect(charts['chart-countries'].labels).toEqual(countries.map((entry) => entry.country ?? 'unknown'));
    expect(charts['chart-countries'].labels.slice(0, 5)).toEqual(['US', 'GB', 'DE', 'BR', 'IN']);
    expect(charts['chart-countries'].datasets[0].data).toEqual(
      countries.map((entry) => Math.round((entry.conversion ?? 0) * 1000) / 10),
    );
    expect(sum(charts['chart-refusals'].datasets[0].data)).toBe(answer.totals.refused);
    expect(charts['chart-refusals'].labels.sort()).toEqual(Object.keys(answer.refused_by_reason).sort());
    // The totals the cards show.
    await expect(page.locator('.stat', { hasText: 'Codes sent' }).locator('.value').innerText()).resolves.toBe(
      answer.totals.sent.toLocaleString('en-US'),
    );
    await expect(page.locator('#countries-table tbody tr').count()).resolves.toBe(answer.by_country.length);

    await screenshot('admin-dashboard.png');
  }, 30_000);

  it('finds a user by phone prefix, bans them after a confirmation, and their token is dead at once', async () => {
    const target = users[2];
    const masked = maskPhone(target.user.phone_number);
    await page.getByRole('link', { name: 'Users' }).click();
    const rows = page.locator('#users-table tbody tr');
    await rows.first().waitFor();
    await expect(rows.count()).resolves.toBe(users.length);
    const searched = page.waitForResponse((res) => res.url().includes('/api/admin/users/?phone_prefix=%2B44'));
    await page.getByLabel('Phone starts with').fill('+44');
    await page.getByRole('button', { name: 'Search' }).click();
    expect((await searched).status()).toBe(200);
    await expect(rows.count()).resolves.toBe(1);
    await rows.getByRole('link', { name: masked }).click();

    await page.locator('#user-view').waitFor();
    await expect(page.locator('#user-title').innerText()).resolves.toContain(`User ${target.user.id}`);
    await expect(page.locator('#sessions-table tbody tr').count()).resolves.toBe(2);
    await expect(page.locator('#user-view').innerText()).resolves.not.toContain(target.user.phone_number);

    // Cancelling the confirmation changes nothing.
    await page.getByRole('button', { name: 'Ban…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog.isVisible()).resolves.toBe(false);
    await expect(app().db.getRepository(User).findOneByOrFail({ id: target.user.id })).resolves.toMatchObject({
      bannedUntil: null,
    });
    await expect(app().api.profile(target.tokens.access).expect(200)).resolves.toBeTruthy();

    await page.getByRole('button', { name: 'Ban…' }).click();
    await expect(dialog.getByRole('heading').innerText()).resolves.toBe(`Ban user ${target.user.id}?`);
    await dialog.getByLabel('Reason').fill('Chargeback fraud, ticket 4521');
    await dialog.getByRole('button', { name: 'Ban', exact: true }).click();
    await status(`User ${target.user.id} banned.`);

    const banned = await app().db.getRepository(User).findOneByOrFail({ id: target.user.id });
    expect(banned.disabledReason).toBe('Chargeback fraud, ticket 4521');
    // The dialog's default: a week from now, to the minute.
    expect(Math.abs(banned.bannedUntil!.getTime() - (Date.now() + 7 * DAY))).toBeLessThan(120_000);
    await expect(page.locator('#user-title .badge').innerText()).resolves.toMatch(/^banned until /);
    await page.locator('#user-events-table tbody tr', { hasText: 'admin_user_updated' }).first().waitFor();
    await expect(page.locator('#user-events-table').innerText()).resolves.toContain('Chargeback fraud, ticket 4521');
    await screenshot('admin-user.png');

    // Over HTTP, not through the page: the user's tokens stop working on the next request.
    expectProblem(await app().api.profile(target.tokens.access), 401, 'unauthorized');
    expectProblem(await app().api.refresh(target.tokens.refresh), 401, 'unauthorized');
    await expect(app().api.profile(users[0].tokens.access).expect(200)).resolves.toBeTruthy();
  }, 30_000);

  it('lists the audit trail with a type filter and exports it as NDJSON through a Blob URL', async () => {
    await page.getByRole('link', { name: 'Audit events' }).click();
    await page.locator('#audit-table tbody tr').first().waitFor();
    await page.getByLabel('Type').selectOption('admin_user_updated');
    const filtered = page.waitForResponse((res) => res.url().includes('type=admin_user_updated'));
    await page.getByRole('button', { name: 'Filter' }).click();
    await filtered;
    // The unfiltered page stays on screen until the filtered one is drawn.
    await page.waitForFunction("document.querySelectorAll('#audit-table tbody tr').length < 50");
    const rows = page.locator('#audit-table tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.innerText()).resolves.toMatch(/admin_user_updated\s+ops\s+/);

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export NDJSON' }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toMatch(/^audit-events-\d{4}-\d{2}-\d{2}T\d{6}\.ndjson$/);
    const lines = readFileSync(await saved.path(), 'utf8')
      .trim()
      .split('\n');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ type: 'admin_user_updated', actor: 'ops', user_id: users[2].user.id }),
    ]);
    await expect(app().db.getRepository(AuditEvent).countBy({ type: 'admin_user_updated' })).resolves.toBe(1);
  }, 30_000);

  it('revokes one session of a user after a confirmation; that session’s tokens are dead', async () => {
    const { user, tokens } = users[0];
    await page.evaluate(`location.hash = '#/users/${user.id}'`);
    // The page still shows the user of the test before until this user's page has loaded.
    await page.locator('#user-title', { hasText: `User ${user.id} ·` }).waitFor();
    await page.locator('#sessions-table').getByRole('button', { name: 'Revoke…' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('heading').innerText()).resolves.toBe('Revoke this session?');
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await status('Session revoked.');
    await expect(page.locator('#sessions-table tbody').innerText()).resolves.toContain('revoked');

    expectProblem(await app().api.profile(tokens.access), 401, 'unauthorized');
    expectProblem(await app().api.refresh(tokens.refresh), 401, 'unauthorized');
    await expect(app().api.profile(users[1].tokens.access).expect(200)).resolves.toBeTruthy();
  }, 30_000);

  it('signs out, forgetting the token; the token never went into a URL, and the CSP blocked nothing', async () => {
    // While signed in, the token is in this tab's sessionStorage and nowhere else the browser keeps.
    await expect(page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]')).resolves.toEqual([
      1,
      0,
      '',
    ]);
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    await expect(page.evaluate('sessionStorage.length')).resolves.toBe(0);

    const seen = await Promise.all(requests);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.filter(({ url }) => url.includes(ADMIN_TOKEN) || url.includes('token='))).toEqual([]);
    expect(seen.filter(({ url }) => !/^(blob|data):/.test(url) && !url.startsWith(`${baseUrl}/`))).toEqual([]);
    const apiCalls = seen.filter(({ url }) => url.startsWith(`${baseUrl}/api/admin/`));
    expect(apiCalls.length).toBeGreaterThan(5);
    for (const { headers } of apiCalls) {
      expect(headers.authorization).toMatch(/^Bearer /);
      expect(headers.referer).toBeUndefined();
    }
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
