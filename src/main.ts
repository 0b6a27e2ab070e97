import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { appConfig, LOG_LEVELS } from './config';

async function bootstrap(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const { port, host, logLevel, nodeEnv } = appConfig();
  const logLevels = LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(logLevel) + 1).map((level) =>
    level === 'info' ? 'log' : level,
  );
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(), {
    logger: new ConsoleLogger({ json: nodeEnv === 'production', logLevels }),
    // Throw instead of process.abort(), so a bad setting ends with its message and exit code 1.
    abortOnError: false,
  });
  await configureApp(app);
  await app.listen(port, host);
  new Logger('Bootstrap').log(`Listening on ${await app.getUrl()}; API docs at /api/docs`);
}

bootstrap().catch((error: unknown) => {
  new Logger('Bootstrap').fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
