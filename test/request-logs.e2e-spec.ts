import { PinoLoggerService } from '../src/common/logger';
import { dialects } from './helpers/databases';
import { captureAppLog } from './helpers/log-capture';
import { useTestApp } from './helpers/test-app';

describe.each(dialects())('request logs on %s', (dialect) => {
  const app = useTestApp(dialect, { env: { LOG_LEVEL: 'info' } });

  it('tags the lines about a request with its request id: its problem, with the cause, and "request completed"', async () => {
    const t = app();
    // As main.ts does: Nest's loggers write through the app's pino logger.
    t.app.useLogger(new PinoLoggerService(t.app.getHttpAdapter().getInstance().log));
    const logs = captureAppLog(t.app);
    t.sms.failing = true;
    try {
      await t.api.sendOtp('+12015550181').set('X-Request-Id', 'trace-sms-failure').expect(503);
      await t.api.sendOtp('+12015550182').set('X-Request-Id', 'trace-other').expect(503);

      const problem = (await logs.waitFor((entry) => entry.context === 'ProblemDetailsFilter', 2))[0];
      expect(problem).toMatchObject({ level: 40, reqId: 'trace-sms-failure' });
      expect(String(problem.msg)).toMatch(
        /^POST \/api\/auth\/send-otp: sms_delivery_failed \(SMS to \+1201\*{5}81 failed/,
      );
      const completed = await logs.waitFor(
        (entry) => entry.msg === 'request completed' && String(entry.route).startsWith('/api/auth/send-otp'),
        2,
      );
      expect(completed.map((entry) => entry.reqId)).toEqual(['trace-sms-failure', 'trace-other']);
      const others = logs.entries.filter((entry) => entry.reqId === 'trace-other');
      expect(others.map((entry) => entry.msg)).toEqual([
        expect.stringMatching(/^POST \/api\/auth\/send-otp: sms_delivery_failed \(SMS to \+1201\*{5}82 failed/),
        'request completed',
      ]);
    } finally {
      t.sms.failing = false;
      logs.restore();
    }
  });

  it('writes no request id on lines outside any request', () => {
    const t = app();
    t.app.useLogger(new PinoLoggerService(t.app.getHttpAdapter().getInstance().log));
    const logs = captureAppLog(t.app);
    try {
      new PinoLoggerService(t.app.getHttpAdapter().getInstance().log).log('outside', 'Spec');

      expect(logs.entries).toEqual([expect.not.objectContaining({ reqId: expect.anything() })]);
    } finally {
      logs.restore();
    }
  });
});
