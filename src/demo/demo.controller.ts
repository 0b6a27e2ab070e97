import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '../common/openapi';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../common/auth.decorators';

/** nest build copies public/ beside this file (nest-cli.json assets). */
const read = (name: string): string => readFileSync(join(__dirname, 'public', name), 'utf8');

/**
 * A sign-in page at /demo/ that runs the whole flow in a browser, passkeys included. Static: it
 * calls only the public API, from the same origin, so the app's strict CSP covers it.
 */
@ApiExcludeController()
@Public()
@Controller('demo')
export class DemoController {
  private readonly page = read('index.html');
  private readonly script = read('demo.js');
  private readonly styles = read('demo.css');

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  index(): string {
    return this.page;
  }

  @Get('demo.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  demoJs(): string {
    return this.script;
  }

  @Get('demo.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  demoCss(): string {
    return this.styles;
  }
}
