import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';
import o200kBase from 'js-tiktoken/ranks/o200k_base';

import type { ChatMessage } from './types.js';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/** Tokens the chat format adds around every message (`<|start|>role<|message|>…<|end|>`). */
export const TOKENS_PER_MESSAGE = 3;
/** Tokens a message's `name` field adds on top of the name's own tokens. */
export const TOKENS_PER_NAME = 1;
/** Tokens that prime the reply (`<|start|>assistant<|message|>`), once per request. */
export const REPLY_PRIMING_TOKENS = 3;

/**
 * Pieces at most this many bytes long are merged with a quadratic loop, which is fastest for
 * the short pieces of ordinary text. Longer pieces, such as a pasted base64 blob or a CJK
 * paragraph, go through the heap-based merge below.
 */
const SHORT_PIECE_BYTES = 64;

/** Each byte's key in js-tiktoken's rank table, which joins a token's bytes in decimal with commas. */
const BYTE_KEYS = Array.from({ length: 256 }, (_, byte) => String(byte));

/** Distinct short pieces whose counts are remembered; the memory is cleared when it is full. */
const PIECE_CACHE_SIZE = 50_000;

/**
 * Returns the encoding the API uses for a model. gpt-4 and gpt-3.5 use cl100k_base; the
 * gpt-4o, gpt-4.1, o-series and gpt-5 families and every unknown name use o200k_base.
 */
export function encodingForModel(model: string): EncodingName {
  const name = model.toLowerCase().replace(/^ft:/, '');
  if (/^gpt-4o|^gpt-4\.1|^gpt-4\.5|^chatgpt-4o/.test(name)) return 'o200k_base';
  if (/^gpt-3\.5|^gpt-35|^gpt-4(?![o.\d])/.test(name)) return 'cl100k_base';
  return 'o200k_base';
}

interface TiktokenInternals {
  rankMap: Map<string, number>;
  patStr: string;
}

/**
 * Counts tokens exactly as js-tiktoken encodes them, without its quadratic merge on long
 * pieces. The merge uses js-tiktoken's rank table, so counts match `encode().length`.
 */
export class TokenCounter {
  readonly encoding: EncodingName;
  private readonly tiktoken: Tiktoken;
  private readonly ranks: Map<string, number>;
  private readonly pattern: RegExp;
  private readonly maxTokenBytes: number;
  private readonly textEncoder = new TextEncoder();
  /** Token counts of recently seen short pieces, since ordinary text repeats the same words. */
  private readonly pieceCounts = new Map<string, number>();

  constructor(encoding: EncodingName) {
    this.encoding = encoding;
    this.tiktoken = new Tiktoken(encoding === 'o200k_base' ? o200kBase : cl100kBase);
    const internals = this.tiktoken as unknown as Partial<TiktokenInternals>;
    if (!(internals.rankMap instanceof Map) || typeof internals.patStr !== 'string') {
      throw new Error('js-tiktoken no longer exposes rankMap and patStr; pin js-tiktoken 1.0.x');
    }
    this.ranks = internals.rankMap;
    this.pattern = new RegExp(internals.patStr, 'gu');
    let maxBytes = 0;
    for (const key of this.ranks.keys()) {
      const bytes = key.split(',').length;
      if (bytes > maxBytes) maxBytes = bytes;
    }
    this.maxTokenBytes = maxBytes;
  }

  /** Counts the tokens of a text. Special-token strings such as `<|endoftext|>` count as plain text, as in user content. */
  count(text: string): number {
    return this.countUpTo(text, Infinity);
  }

  /**
   * Counts the tokens of a text, stopping early once the count passes `limit`, so that an
   * oversized paste costs little to reject. The result is exact when it is at most `limit`.
   */
  countUpTo(text: string, limit: number): number {
    if (text.length === 0) return 0;
    // Every token covers at most maxTokenBytes bytes, so longer texts cannot fit the limit.
    if (Number.isFinite(limit) && text.length > (limit + 1) * this.maxTokenBytes) return limit + 1;
    let total = 0;
    for (const match of text.matchAll(this.pattern)) {
      if (total > limit) return total;
      const known = this.pieceCounts.get(match[0]);
      if (known !== undefined) {
        total += known;
        continue;
      }
      const keys = this.byteKeys(match[0]);
      // A piece of B bytes has at least B / maxTokenBytes tokens, so a long piece that cannot fit
      // is rejected before its merge, which is the costly step.
      // NOTE: a piece under that bound is still merged in full. At the default budget that is up to
      // about 500 KB of one letter repeated, about 0.5 s on a 2-core machine. Slack (40,000
      // characters) and Discord (4,000) cap messages well below it, so only the terminal can send one.
      const fewestTokens = Math.ceil(keys.length / this.maxTokenBytes);
      if (total + fewestTokens > limit) return total + fewestTokens;
      let tokens: number;
      if (this.ranks.has(keys.join(','))) tokens = 1;
      else if (keys.length <= SHORT_PIECE_BYTES) tokens = this.countShortPiece(keys);
      else tokens = this.countLongPiece(keys);
      total += tokens;
      if (keys.length <= SHORT_PIECE_BYTES) {
        if (this.pieceCounts.size >= PIECE_CACHE_SIZE) this.pieceCounts.clear();
        this.pieceCounts.set(match[0], tokens);
      }
    }
    return total;
  }

  /**
   * Returns the rank-table key of each UTF-8 byte of a piece, the parts a merge starts from.
   * ASCII text is read directly, which saves encoding the short pieces of ordinary text.
   */
  private byteKeys(piece: string): string[] {
    const keys: string[] = [];
    for (let i = 0; i < piece.length; i++) {
      const code = piece.charCodeAt(i);
      if (code >= 0x80) return Array.from(this.textEncoder.encode(piece), (byte) => BYTE_KEYS[byte]!);
      keys.push(BYTE_KEYS[code]!);
    }
    return keys;
  }

  /** Counts one message as the API bills it: content, role, name and the per-message overhead. */
  countMessage(message: ChatMessage): number {
    let tokens = TOKENS_PER_MESSAGE + this.count(message.role) + this.count(message.content);
    if (message.name !== undefined) tokens += this.count(message.name) + TOKENS_PER_NAME;
    return tokens;
  }

  /** Counts one message like countMessage, stopping early once the count passes `limit`. */
  countMessageUpTo(message: ChatMessage, limit: number): number {
    const overhead = TOKENS_PER_MESSAGE + this.count(message.role) + (message.name === undefined ? 0 : this.count(message.name) + TOKENS_PER_NAME);
    return overhead + this.countUpTo(message.content, Math.max(0, limit - overhead));
  }

  /** Counts a whole chat request's prompt tokens, reply priming included. */
  countMessages(messages: readonly ChatMessage[]): number {
    let total = REPLY_PRIMING_TOKENS;
    for (const message of messages) total += this.countMessage(message);
    return total;
  }

  /**
   * Byte-pair merge by repeated scans, merging the lowest-ranked adjacent pair first and the
   * leftmost of equal ranks, as js-tiktoken does. Each part keeps its rank-table key and each
   * adjacent pair its rank, so a merge looks up only the two pairs it changed. The scan for the
   * lowest rank is quadratic in the piece's length, and the fastest way for the few bytes of an
   * ordinary word.
   */
  private countShortPiece(keys: string[]): number {
    const pairRanks: number[] = [];
    for (let i = 0; i < keys.length - 1; i++) pairRanks.push(this.pairRank(keys[i]!, keys[i + 1]!));
    while (pairRanks.length > 0) {
      let bestRank = Infinity;
      let bestIndex = -1;
      for (let i = 0; i < pairRanks.length; i++) {
        if (pairRanks[i]! < bestRank) {
          bestRank = pairRanks[i]!;
          bestIndex = i;
        }
      }
      if (bestIndex < 0) break;
      keys[bestIndex] = `${keys[bestIndex]},${keys[bestIndex + 1]}`;
      keys.splice(bestIndex + 1, 1);
      pairRanks.splice(bestIndex, 1);
      if (bestIndex > 0) pairRanks[bestIndex - 1] = this.pairRank(keys[bestIndex - 1]!, keys[bestIndex]!);
      if (bestIndex < pairRanks.length) pairRanks[bestIndex] = this.pairRank(keys[bestIndex]!, keys[bestIndex + 1]!);
    }
    return keys.length;
  }

  /** Returns the rank of the token that joins two parts, or Infinity when the rank table has none. */
  private pairRank(left: string, right: string): number {
    return this.ranks.get(`${left},${right}`) ?? Infinity;
  }

  /**
   * Byte-pair merge in O(n log n): a min-heap of adjacent pairs ordered by rank, then by
   * position, which is the order js-tiktoken's loop merges them in. Stale heap entries are
   * skipped by comparing the pair's recorded end with the part's current end. Each part keeps
   * its rank-table key, so a pair's key is two keys joined.
   */
  private countLongPiece(keys: string[]): number {
    const n = keys.length;
    const next = new Int32Array(n + 1);
    const prev = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    // A part starts at index i and ends at next[i]. A start merged into its left neighbour is no longer alive.
    const alive = new Uint8Array(n).fill(1);
    const heap = new PairHeap();
    const pushPair = (start: number) => {
      const middle = next[start]!;
      if (middle >= n) return;
      const end = next[middle]!;
      if (end - start > this.maxTokenBytes) return;
      const rank = this.pairRank(keys[start]!, keys[middle]!);
      if (rank !== Infinity) heap.push(rank, start, end);
    };
    for (let i = 0; i < n - 1; i++) pushPair(i);

    let parts = n;
    while (heap.size > 0) {
      const [, start, end] = heap.pop();
      const middle = next[start]!;
      if (!alive[start] || middle >= n || next[middle] !== end) continue;
      alive[middle] = 0;
      keys[start] = `${keys[start]},${keys[middle]}`;
      next[start] = end;
      if (end <= n) prev[end] = start;
      parts--;
      const before = prev[start]!;
      if (before >= 0) pushPair(before);
      pushPair(start);
    }
    return parts;
  }
}

/** A binary min-heap of (rank, start, end) triples ordered by rank, then by start. */
class PairHeap {
  private ranks: number[] = [];
  private starts: number[] = [];
  private ends: number[] = [];

  get size(): number {
    return this.ranks.length;
  }

  push(rank: number, start: number, end: number): void {
    this.ranks.push(rank);
    this.starts.push(start);
    this.ends.push(end);
    let i = this.ranks.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number, number] {
    const top: [number, number, number] = [this.ranks[0]!, this.starts[0]!, this.ends[0]!];
    const last = this.ranks.length - 1;
    this.swap(0, last);
    this.ranks.pop();
    this.starts.pop();
    this.ends.pop();
    let i = 0;
    const size = this.ranks.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < size && this.less(left, smallest)) smallest = left;
      if (right < size && this.less(right, smallest)) smallest = right;
      if (smallest === i) break;
      this.swap(i, smallest);
      i = smallest;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ra = this.ranks[a]!;
    const rb = this.ranks[b]!;
    return ra < rb || (ra === rb && this.starts[a]! < this.starts[b]!);
  }

  private swap(a: number, b: number): void {
    [this.ranks[a], this.ranks[b]] = [this.ranks[b]!, this.ranks[a]!];
    [this.starts[a], this.starts[b]] = [this.starts[b]!, this.starts[a]!];
    [this.ends[a], this.ends[b]] = [this.ends[b]!, this.ends[a]!];
  }
}

const counters = new Map<EncodingName, TokenCounter>();

/** Returns the shared counter for a model's encoding, loading the rank table on first use. */
export function tokenCounterFor(model: string): TokenCounter {
  const encoding = encodingForModel(model);
  let counter = counters.get(encoding);
  if (!counter) {
    counter = new TokenCounter(encoding);
    counters.set(encoding, counter);
  }
  return counter;
}
