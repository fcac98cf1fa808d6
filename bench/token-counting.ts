import { readFileSync } from 'node:fs';

import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { get_encoding } from 'tiktoken';

import { TokenCounter } from '../src/core/tokens.js';
import { median } from './stats.js';
import { base64Blob, cjkText, longDocument } from './texts.js';

export interface CounterResult {
  name: string;
  /** Median time of one run over the case's texts. */
  medianMs: number;
  runs: number;
}

export interface CaseResult {
  name: string;
  texts: number;
  bytes: number;
  /** Tokens of one run's texts, the same for every counter when `agree` is true. */
  tokens: number;
  agree: boolean;
  /** Each counter's total over the first run, in the order of `counters`. */
  counts: number[];
  counters: CounterResult[];
}

export interface CountingSizes {
  /** Size of the no-whitespace texts, in UTF-8 bytes. */
  blobBytes: number;
  /** Time after which a case stops starting new runs, once it has `minRuns`. */
  budgetMs: number;
  minRuns: number;
  maxRuns: number;
}

interface Counter {
  name: string;
  count(text: string): number;
}

interface CountCase {
  name: string;
  /** Texts for run `n`. The no-whitespace cases get new texts every run, so that no counter has them cached. */
  textsFor(run: number): string[];
  /** Texts counted once before timing, to compile the hot code and fill the caches ordinary text would fill. */
  warmup: string[];
  minRuns: number;
  maxRuns: number;
}

function packageVersion(name: string): string {
  const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function utf8Bytes(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
}

function buildCases(questions: readonly string[], sizes: CountingSizes): CountCase[] {
  const document = longDocument();
  const kib = Math.round(sizes.blobBytes / 1024);
  const smallWarmup = [base64Blob(2048, 1), cjkText(2048, 1, true), cjkText(2048, 1, false)];
  return [
    { name: `${questions.length} support questions`, textsFor: () => [...questions], warmup: [...questions], minRuns: sizes.minRuns, maxRuns: sizes.maxRuns },
    { name: `long document (${Math.round(Buffer.byteLength(document) / 1024)} KiB of Markdown)`, textsFor: () => [document], warmup: [document], minRuns: sizes.minRuns, maxRuns: sizes.maxRuns },
    { name: `base64 blob (${kib} KiB)`, textsFor: (run) => [base64Blob(sizes.blobBytes, 100 + run)], warmup: smallWarmup, minRuns: sizes.minRuns, maxRuns: sizes.maxRuns },
    { name: `CJK prose with punctuation (${kib} KiB)`, textsFor: (run) => [cjkText(sizes.blobBytes, 200 + run, true)], warmup: smallWarmup, minRuns: sizes.minRuns, maxRuns: sizes.maxRuns },
    // One piece of this size takes tiktoken and gpt-tokenizer seconds, so it gets a single run.
    { name: `CJK without punctuation (${kib} KiB, one piece)`, textsFor: (run) => [cjkText(sizes.blobBytes, 300 + run, false)], warmup: smallWarmup, minRuns: 1, maxRuns: 1 },
  ];
}

/**
 * Times the project's TokenCounter, gpt-tokenizer and tiktoken's WASM build on the same texts
 * (o200k_base, the encoding of gpt-4o and gpt-4o-mini). Each run counts every text of a case
 * with each counter in turn, starting with a different counter each run, and checks that the
 * three counts agree.
 */
export function measureCounting(questions: readonly string[], sizes: CountingSizes): { counters: string[]; cases: CaseResult[] } {
  const ours = new TokenCounter('o200k_base');
  const tiktoken = get_encoding('o200k_base');
  const counters: Counter[] = [
    { name: 'Frugal TokenCounter', count: (text) => ours.count(text) },
    { name: `gpt-tokenizer ${packageVersion('gpt-tokenizer')}`, count: (text) => countTokens(text) },
    { name: `tiktoken ${packageVersion('tiktoken')} (WASM)`, count: (text) => tiktoken.encode(text).length },
  ];
  try {
    const cases = buildCases(questions, sizes).map((countCase) => runCase(countCase, counters, sizes.budgetMs));
    return { counters: counters.map((counter) => counter.name), cases };
  } finally {
    tiktoken.free();
  }
}

function runCase(countCase: CountCase, counters: Counter[], budgetMs: number): CaseResult {
  for (const counter of counters) for (const text of countCase.warmup) counter.count(text);

  const times = counters.map((): number[] => []);
  let firstCounts: number[] = [];
  let firstTexts: string[] = [];
  let agree = true;
  const startedAt = performance.now();
  for (let run = 0; run < countCase.maxRuns; run++) {
    if (run >= countCase.minRuns && performance.now() - startedAt > budgetMs) break;
    const texts = countCase.textsFor(run);
    const counts = counters.map(() => 0);
    for (let k = 0; k < counters.length; k++) {
      const index = (run + k) % counters.length;
      const counter = counters[index]!;
      const runStartedAt = performance.now();
      let total = 0;
      for (const text of texts) total += counter.count(text);
      times[index]!.push(performance.now() - runStartedAt);
      counts[index] = total;
    }
    if (counts.some((count) => count !== counts[0])) agree = false;
    if (run === 0) {
      firstCounts = counts;
      firstTexts = texts;
    }
  }
  return {
    name: countCase.name,
    texts: firstTexts.length,
    bytes: utf8Bytes(firstTexts),
    tokens: firstCounts[0]!,
    agree,
    counts: firstCounts,
    counters: counters.map((counter, i) => ({ name: counter.name, medianMs: median(times[i]!), runs: times[i]!.length })),
  };
}
