import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import type { Logger } from 'pino';

import { createFrugal, type Frugal, type FrugalOverrides } from '../../src/app.js';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { OpenAIStandIn } from './openai-stand-in.js';

/** Collects log lines as parsed JSON objects. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  readonly logger: Logger;

  constructor(level = 'debug') {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          this.raw.push(line);
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    this.logger = createLogger(level, sink);
  }

  withMessage(message: string): Record<string, unknown>[] {
    return this.lines.filter((line) => line.msg === message);
  }
}

export interface Harness {
  frugal: Frugal;
  openai: OpenAIStandIn;
  logs: LogCapture;
  directory: string;
  close(): Promise<void>;
}

/**
 * Starts an OpenAI stand-in and a Frugal core wired to it through the real openai SDK, with
 * a sqlite store in a fresh temporary folder. `env` overrides configuration variables.
 */
export async function startHarness(env: Record<string, string> = {}, overrides: FrugalOverrides = {}): Promise<Harness> {
  const openai = new OpenAIStandIn();
  const baseURL = await openai.start();
  const directory = mkdtempSync(join(tmpdir(), 'frugal-test-'));
  const config = parseConfig({
    OPENAI_BASE_URL: baseURL,
    OPENAI_API_KEY: 'sk-test-key-for-the-stand-in',
    OPENAI_MAX_RETRIES: '0',
    OPENAI_TIMEOUT_MS: '5000',
    STORE_URL: `sqlite://${join(directory, 'frugal.sqlite')}`,
    ...env,
  });
  const logs = new LogCapture();
  const frugal = await createFrugal(config, logs.logger, overrides);
  return {
    frugal,
    openai,
    logs,
    directory,
    async close() {
      await frugal.close();
      await openai.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
