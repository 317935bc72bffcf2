import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../src/logger.js';

/** The lines a JSON logger writes, as text, with their time (which differs between lines) taken out. */
function linesOf(log: (logger: ReturnType<typeof createJsonLogger>) => void): string[] {
  const lines: string[] = [];
  log(createJsonLogger((line) => lines.push(line.replace(/"time":"[^"]+",/, '')), 'debug'));
  return lines;
}

describe('the JSON logger', () => {
  it('redacts secrets wherever the redacted paths find them, at every level and in children', () => {
    const lines = linesOf((logger) => {
      logger.info('top', { authorization: 'Bearer secret-1', other: 1 });
      logger.warn('nested', { headers: { authorization: 'Bearer secret-2', accept: '*/*' } });
      logger.error('any object', { request: { authorization: 'Bearer secret-3' } });
      logger.debug('form', { access_token: 'secret-4', client_secret: 'secret-5' });
      logger.info('params', { connectionParams: { token: 'secret-6' } });
      logger.child({ requestId: 'r1' }).info('child', { authorization: 'Bearer secret-7' });
    });
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).not.toMatch(/secret-\d/);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ authorization: '[redacted]', other: 1 });
    expect(JSON.parse(lines[1] as string)).toMatchObject({
      headers: { authorization: '[redacted]', accept: '*/*' },
    });
    expect(JSON.parse(lines[5] as string)).toMatchObject({ requestId: 'r1', authorization: '[redacted]' });
  });

  it('writes a line of plain fields (the access line) exactly as before, fields in their order', () => {
    const [line] = linesOf((logger) =>
      logger.info('http request', {
        requestId: 'abc',
        clientAddress: '127.0.0.1',
        method: 'POST',
        path: '/graphql',
        status: 200,
        durationMs: 1.5,
        aborted: undefined,
      }),
    );
    expect(line).toBe(
      `{"level":"info","pid":${process.pid},"hostname":${JSON.stringify(
        (JSON.parse(line as string) as { hostname: string }).hostname,
      )},"requestId":"abc","clientAddress":"127.0.0.1","method":"POST","path":"/graphql","status":200,"durationMs":1.5,"msg":"http request"}\n`,
    );
  });
});
