import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MAX_JSON_FILE_BYTES, readJsonFile } from '../../src/config/json-file.js';

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'frugal-json-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('readJsonFile', () => {
  it('parses a JSON file', () => {
    const file = join(directory, 'prices.json');
    writeFileSync(file, '{"local": {"input": 0, "output": 0}}');
    expect(readJsonFile('CHAT_PRICES_FILE', file)).toEqual({ local: { input: 0, output: 0 } });
  });

  it('skips a byte-order mark', () => {
    const file = join(directory, 'prices.json');
    writeFileSync(file, '\uFEFF{"local": {"input": 0, "output": 0}}');
    expect(readJsonFile('CHAT_PRICES_FILE', file)).toEqual({ local: { input: 0, output: 0 } });
  });

  it('rejects a folder', () => {
    const folder = join(directory, 'rules');
    mkdirSync(folder);
    expect(() => readJsonFile('CHAT_ROUTING_RULES_FILE', folder)).toThrow(
      `Invalid CHAT_ROUTING_RULES_FILE=${JSON.stringify(folder)}: expected a regular JSON file, not a folder, device or pipe.`,
    );
  });

  it('rejects a device', () => {
    expect(() => readJsonFile('CHAT_PRICES_FILE', '/dev/zero')).toThrow(
      'Invalid CHAT_PRICES_FILE="/dev/zero": expected a regular JSON file, not a folder, device or pipe.',
    );
  });

  it('rejects a file above the limit', () => {
    const file = join(directory, 'prices.json');
    writeFileSync(file, `[${' '.repeat(MAX_JSON_FILE_BYTES)}]`);
    expect(() => readJsonFile('CHAT_PRICES_FILE', file)).toThrow(
      `Invalid CHAT_PRICES_FILE=${JSON.stringify(file)}: the file has ${MAX_JSON_FILE_BYTES + 2} bytes, more than the limit of ${MAX_JSON_FILE_BYTES} (1 MiB).`,
    );
  });

  it('accepts a file at the limit', () => {
    const file = join(directory, 'prices.json');
    writeFileSync(file, `[${' '.repeat(MAX_JSON_FILE_BYTES - 2)}]`);
    expect(readJsonFile('CHAT_PRICES_FILE', file)).toEqual([]);
  });

  it('names a missing file', () => {
    const file = join(directory, 'absent.json');
    expect(() => readJsonFile('CHAT_PRICES_FILE', file)).toThrow(
      `Cannot read CHAT_PRICES_FILE=${JSON.stringify(file)}: ENOENT: no such file or directory`,
    );
  });

  it('names invalid JSON', () => {
    const file = join(directory, 'prices.json');
    writeFileSync(file, '{"local": ');
    expect(() => readJsonFile('CHAT_PRICES_FILE', file)).toThrow(
      `Invalid CHAT_PRICES_FILE=${JSON.stringify(file)}: the file is not valid JSON (`,
    );
  });
});
