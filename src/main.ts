import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { createLogger, PinoLoggerService } from './common/logger';
import { loadConfig } from './config';

async function bootstrap(): Promise<void> {
  // Until the config is known (LOG_LEVEL included) a bad setting still needs a JSON line to end with.
  let logger = new PinoLoggerService(createLogger('info'));
  try {
    if (existsSync('.env')) process.loadEnvFile('.env');
    const config = loadConfig();
    const { port, host, shutdownTimeoutMs } = config.app;
    const adapter = createFastifyAdapter(config.app);
    logger = new PinoLoggerService(adapter.getInstance().log);
    const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, {
      logger,
      // Throw instead of process.abort(), so a bad setting ends with its message and exit code 1.
      abortOnError: false,
    });
    await configureApp(app);
    await app.listen(port, host);
    const docs = config.app.apiDocsEnabled ? '; API docs at /api/docs' : '';
    logger.log(`Listening on ${await app.getUrl()}${docs}`, 'Bootstrap');
    drainOnSignal(app, logger, shutdownTimeoutMs);
  } catch (error) {
    logger.fatal(error instanceof Error ? error.message : String(error), 'Bootstrap');
    process.exit(1);
  }
}

/**
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database pool and
 * Redis (Nest's close does all three, in that order), then exit 0; exit 1 if that outlasts
 * SHUTDOWN_TIMEOUT.
 */
function drainOnSignal(app: NestFastifyApplication, logger: PinoLoggerService, timeoutMs: number): void {
  const drain = (signal: NodeJS.Signals) => {
    logger.log(`${signal} received; finishing in-flight requests`, 'Shutdown');
    setTimeout(() => {
      logger.error(`Still busy after SHUTDOWN_TIMEOUT (${timeoutMs} ms); exiting`, undefined, 'Shutdown');
      process.exit(1);
    }, timeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`, undefined, 'Shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', drain);
  process.once('SIGINT', drain);
}

void bootstrap();
