import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOutbox } from './seed';

describe('readOutbox', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'outbox-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps each number's newest code and skips notices, whoever wrote the file", () => {
    const file = join(dir, 'outbox.jsonl');
    const lines = [
      { to: '+12015550123', body: 'Your Phone OTP Auth code is 111111. It expires in 5 minutes.' },
      { kind: 'code', to: '+12015550123', body: 'Your code is 222222' },
      { kind: 'notice', to: '+12015550123', body: 'Your number was changed on 2026-11-30 at 1200.' },
      { kind: 'code', to: '+12025550100', body: 'Your code is 333333' },
    ];
    writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');

    expect(readOutbox(file)).toEqual(
      new Map([
        ['+12015550123', '222222'],
        ['+12025550100', '333333'],
      ]),
    );
  });

  it('is empty before anything was sent', () => {
    expect(readOutbox(join(dir, 'none.jsonl')).size).toBe(0);
  });
});
