import { describe, expect, it } from 'vitest';

import { LogCapture } from '../support/frugal-harness.js';

describe('createLogger redaction', () => {
  it('hides config credentials', () => {
    const logs = new LogCapture();
    logs.logger.info(
      { config: { openai: { apiKey: 'sk-in-config' }, slack: { botToken: 'xoxb-in-config', signingSecret: 'signing-in-config' } } },
      'configuration',
    );
    expect(logs.raw.join('\n')).not.toMatch(/in-config/);
    expect(logs.lines[0]).toMatchObject({ config: { openai: { apiKey: '[redacted]' } } });
  });

  it('hides the Slack request header', () => {
    const logs = new LogCapture();
    const error = Object.assign(new Error('A request error occurred: socket hang up'), {
      code: 'slack_webapi_request_error',
      original: { config: { headers: { Authorization: 'Bearer xoxb-in-header' } } },
    });
    logs.logger.error({ err: error }, 'adapter failed to start');
    expect(logs.raw.join('\n')).not.toContain('xoxb-in-header');
    expect(logs.lines[0]).toMatchObject({ err: { original: { config: { headers: { Authorization: '[redacted]' } } } } });
  });

  it('hides a password field', () => {
    const logs = new LogCapture();
    logs.logger.info({ store: { password: 'pw-in-field' } }, 'store options');
    expect(logs.raw.join('\n')).not.toContain('pw-in-field');
  });
});

describe('createLogger errors', () => {
  it('leaves out a repeated cause message', () => {
    const logs = new LogCapture();
    const connection = new Error('Connection error.', { cause: new Error('fetch failed') });
    logs.logger.error({ err: new Error('Model call failed: Connection error.', { cause: connection }) }, 'model call failed');
    expect(logs.lines[0]).toMatchObject({ err: { message: 'Model call failed: Connection error.: fetch failed' } });
  });

  it('keeps new cause messages', () => {
    const logs = new LogCapture();
    logs.logger.error({ err: new Error('Ledger write failed', { cause: new Error('SQLITE_BUSY') }) }, 'ledger write failed');
    expect(logs.lines[0]).toMatchObject({ err: { type: 'Error', message: 'Ledger write failed: SQLITE_BUSY' } });
  });

  it('survives a circular cause', () => {
    const logs = new LogCapture();
    const error = new Error('outer');
    const inner = new Error('inner', { cause: error });
    error.cause = inner;
    logs.logger.error({ err: error }, 'failed');
    expect(logs.lines[0]).toMatchObject({ err: { message: 'outer: inner' } });
  });
});
