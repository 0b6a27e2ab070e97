import { applyDecorators, Controller, Get, Header, Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '../common/openapi';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Public } from '../common/auth.decorators';
import { ProblemException } from '../common/errors/problem.exception';
import { adminConfig } from '../config';

/**
 * Tighter than the app-wide policy (src/app.setup.ts), which lets Swagger UI use inline styles:
 * the console has no inline script or style, talks to its own origin only, and may not be framed.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A console file: its type, the console's CSP, never cached, never sent as a referrer. */
const ConsoleFile = (path: string, type: string) =>
  applyDecorators(
    Get(path),
    Header('Content-Type', `${type}; charset=utf-8`),
    Header('Content-Security-Policy', CONSOLE_CSP),
    Header('Cache-Control', 'no-store'),
    Header('Referrer-Policy', 'no-referrer'),
  );

type ConsoleFileName = 'page' | 'script' | 'styles' | 'chart';

/** nest build copies console/ beside this file (nest-cli.json assets). */
const read = (name: string): string => readFileSync(join(__dirname, 'console', name), 'utf8');

/** Chart.js's self-contained browser build, from node_modules: served, never fetched from a CDN. */
const chartJs = (): string => readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');

/**
 * The admin console at /admin/: static files that call the admin API from the same origin. The
 * page is public (the admin types the token into it, and it travels only as a header), but like
 * the admin API it does not exist while ADMIN_API_TOKENS is empty.
 */
@ApiExcludeController()
@Public()
@Controller('admin')
export class AdminConsoleController {
  /** Read on the first request, so an instance without admin tokens never holds them. */
  private files?: Record<ConsoleFileName, string>;

  constructor(@Inject(adminConfig.KEY) private readonly config: ConfigType<typeof adminConfig>) {}

  @ConsoleFile('', 'text/html')
  index(): string {
    return this.file('page');
  }

  @ConsoleFile('console.js', 'text/javascript')
  consoleJs(): string {
    return this.file('script');
  }

  @ConsoleFile('console.css', 'text/css')
  consoleCss(): string {
    return this.file('styles');
  }

  @ConsoleFile('chart.umd.min.js', 'text/javascript')
  chartJs(): string {
    return this.file('chart');
  }

  private file(name: ConsoleFileName): string {
    if (!this.config.tokens.length) throw new ProblemException('not_found');
    this.files ??= {
      page: read('index.html'),
      script: read('console.js'),
      styles: read('console.css'),
      chart: chartJs(),
    };
    return this.files[name];
  }
}
