import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { formatUsd } from '../../src/commands/money.js';
import { costPico, PriceError, PriceTable, readPriceOverrides } from '../../src/core/pricing.js';

describe('costPico', () => {
  const table = new PriceTable();
  // gpt-4o-mini in the pinned table: $0.15 input, $0.075 cached input, $0.60 output per 1M tokens.
  const mini = table.require('gpt-4o-mini');

  it('prices a turn without cached tokens', () => {
    // 1,200 x 150,000 + 300 x 600,000 pico-dollars = 0.00036 USD.
    expect(costPico(mini, { promptTokens: 1200, cachedTokens: 0, completionTokens: 300 })).toBe(360_000_000);
  });

  it('prices cached tokens at the cached-input price', () => {
    // 176 uncached x 150,000 + 1,024 cached x 75,000 + 300 x 600,000 = 0.0002832 USD.
    expect(costPico(mini, { promptTokens: 1200, cachedTokens: 1024, completionTokens: 300 })).toBe(283_200_000);
  });

  it('reads the gpt-4o prices from the bundled table', () => {
    const price = table.require('gpt-4o');
    expect(price.inputPerMillion).toBe(2.5);
    expect(price.cachedInputPerMillion).toBe(1.25);
    expect(price.outputPerMillion).toBe(10);
  });

  it('rejects an unknown model with the known ones', () => {
    expect(() => table.require('gpt-4x')).toThrow(PriceError);
    expect(() => table.require('gpt-4x')).toThrow(/Unknown model "gpt-4x".*gpt-4o-mini/);
  });

  it('takes prices from an override file first', () => {
    const directory = mkdtempSync(join(tmpdir(), 'frugal-prices-'));
    const file = join(directory, 'prices.json');
    writeFileSync(file, JSON.stringify({ 'llama3.2': { input: 0, output: 0 }, 'gpt-4o': { input: 1, cached_input: 0.5, output: 2 } }));
    const overridden = new PriceTable(readPriceOverrides(file));
    expect(overridden.require('llama3.2').outputPerMillion).toBe(0);
    expect(overridden.require('gpt-4o').inputPerMillion).toBe(1);
    expect(overridden.knownModels()[0]).toBe('llama3.2');
  });

  it('rejects a negative override price', () => {
    const directory = mkdtempSync(join(tmpdir(), 'frugal-prices-'));
    const file = join(directory, 'prices.json');
    writeFileSync(file, JSON.stringify({ local: { input: -1, output: 0 } }));
    expect(() => readPriceOverrides(file)).toThrow(/Invalid price "input" for model "local"/);
  });
});

describe('readPriceOverrides', () => {
  /** Writes a price file with the given text into a fresh temporary folder. */
  function writePriceFile(text: string): string {
    const file = join(mkdtempSync(join(tmpdir(), 'frugal-prices-')), 'prices.json');
    writeFileSync(file, text);
    return file;
  }

  it.each(['null', '[]', '3'])('rejects the price file %s', (text) => {
    const file = writePriceFile(text);
    expect(() => readPriceOverrides(file)).toThrow(PriceError);
    expect(() => readPriceOverrides(file)).toThrow(
      `Invalid CHAT_PRICES_FILE=${JSON.stringify(file)}: expected a JSON object keyed by model name, ` +
        'such as {"llama3.2": {"input": 0, "output": 0}}.',
    );
  });

  it.each(['1e308', '10000.01', '-1', '"1"'])('rejects the price %s', (price) => {
    const file = writePriceFile(`{"local": {"input": ${price}, "output": 0}}`);
    expect(() => readPriceOverrides(file)).toThrow(PriceError);
    expect(() => readPriceOverrides(file)).toThrow(
      `Invalid price "input" for model "local" in CHAT_PRICES_FILE=${JSON.stringify(file)}: ` +
        'expected a number of USD per million tokens from 0 to 10000.',
    );
  });

  it('accepts the highest price', () => {
    const file = writePriceFile('{"local": {"input": 10000, "output": 10000}}');
    expect(readPriceOverrides(file).get('local')?.outputPerMillion).toBe(10_000);
  });

  it('rejects names that differ only in case', () => {
    const file = writePriceFile('{"Local": {"input": 0, "output": 0}, "local": {"input": 1, "output": 1}}');
    expect(() => readPriceOverrides(file)).toThrow(`models "Local" and "local" differ only in case`);
  });

  it('reads a file with a byte-order mark', () => {
    const file = writePriceFile('\uFEFF{"local": {"input": 0.5, "output": 1}}');
    expect(readPriceOverrides(file).get('local')?.outputPerMillion).toBe(1);
  });
});

describe('PriceTable canonical names', () => {
  it.each([
    ['GPT-4O', 'gpt-4o'],
    ['GPT-4O-MINI', 'gpt-4o-mini'],
    ['GPT-4o-2024-08-06', 'gpt-4o-2024-08-06'],
    ['gpt-4o', 'gpt-4o'],
  ])('names bundled %s as %s', (typed, canonical) => {
    expect(new PriceTable().lookup(typed)?.model).toBe(canonical);
  });

  it('names an override as written', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'frugal-prices-')), 'prices.json');
    writeFileSync(file, JSON.stringify({ 'Llama3.2': { input: 0, output: 0 }, 'GPT-4o': { input: 1, output: 2 } }));
    const table = new PriceTable(readPriceOverrides(file));
    expect(table.lookup('llama3.2')?.model).toBe('Llama3.2');
    expect(table.lookup('LLAMA3.2')?.model).toBe('Llama3.2');
    expect(table.lookup('gpt-4o')).toMatchObject({ model: 'GPT-4o', inputPerMillion: 1, source: 'override' });
  });
});

describe('formatUsd', () => {
  it.each([
    [0, '$0'],
    [150_000, '$0.000000150'],
    [360_000_000, '$0.000360'],
    [12_345_000_000, '$0.0123'],
    [1_234_567_000_000_000, '$1,234.57'],
  ])('formats %d pico-dollars as %s', (pico, text) => {
    expect(formatUsd(pico)).toBe(text);
  });
});
