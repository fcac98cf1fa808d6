import { readFileSync } from 'node:fs';

import { normalizeQuestion } from '../src/core/normalize.js';
import type { IncomingMessage } from '../src/core/types.js';

/** The workspace the benchmark's turns and most of its ledger records belong to. */
export const BENCH_WORKSPACE_ID = 'T0BENCH';

/** Endings that turn one fixture question into 48 distinct questions, so that sections can ask more questions than the fixture has. */
const FIRST_ENDINGS = ['', ' It is for my business account.', ' I am asking for my partner.', ' This is urgent.', ' I am travelling this week.', ' The app shows nothing.'];
const SECOND_ENDINGS = ['', ' Thanks.', ' Please help.', ' What should I do?', ' I tried twice already.', ' Is there a fee?', ' Can you check?', ' Sorry if this was asked before.'];

/** Parses RFC 4180 CSV text: quoted fields may contain commas, doubled quotes and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += char;
    }
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/**
 * Reads the BANKING77 test questions bundled with the benchmark, trimmed, in file order. A
 * question whose normalized form, the answer cache's key, repeats an earlier one is left out,
 * so that distinct questions never hit the cache.
 */
export function loadQuestions(): string[] {
  const file = new URL('./fixtures/banking77-test.csv', import.meta.url);
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  if (header?.[0] !== 'text') throw new Error(`Invalid fixture ${file.pathname}: expected a "text" column first.`);
  const seen = new Set<string>();
  const questions: string[] = [];
  for (const row of rows) {
    const question = row[0]!.trim();
    const key = normalizeQuestion(question);
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    questions.push(question);
  }
  return questions;
}

/** Returns question `n` of a sequence built from the fixture, whose first 48 times the fixture's size questions are distinct. */
export function questionVariant(questions: readonly string[], n: number): string {
  const round = Math.floor(n / questions.length);
  const first = FIRST_ENDINGS[round % FIRST_ENDINGS.length]!;
  const second = SECOND_ENDINGS[Math.floor(round / FIRST_ENDINGS.length) % SECOND_ENDINGS.length]!;
  return `${questions[n % questions.length]!}${first}${second}`;
}

/** A deterministic pseudo-random generator (mulberry32), so that every run replays the same workload. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Builds a channel message of the benchmark workspace, as a platform adapter would deliver it. */
export function channelMessage(conversationId: string, userId: string, text: string): IncomingMessage {
  return { platform: 'slack', workspaceId: BENCH_WORKSPACE_ID, conversationId, userId, text, isDirectMessage: false };
}
