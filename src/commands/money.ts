import { PICO_PER_USD } from '../core/pricing.js';

/**
 * Formats pico-dollars as USD with enough digits that small spends stay visible:
 * cents from $1 up, four decimals from $0.01, and three significant digits below that,
 * so one gpt-4o-mini token shows as $0.000000150 rather than $0.00.
 */
export function formatUsd(pico: number): string {
  if (pico === 0) return '$0';
  const sign = pico < 0 ? '-' : '';
  const usd = Math.abs(pico) / PICO_PER_USD;
  if (usd >= 1) return `${sign}$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (usd >= 0.01) return `${sign}$${usd.toFixed(4)}`;
  const decimals = Math.min(14, -Math.floor(Math.log10(usd)) + 2);
  return `${sign}$${usd.toFixed(decimals)}`;
}

/** Formats a USD price per million tokens, such as `$0.15`. */
export function formatPricePerMillion(usd: number): string {
  return `$${Number(usd.toPrecision(6))}`;
}

export function formatPercent(part: number, whole: number): string {
  if (whole === 0) return '0%';
  return `${((100 * part) / whole).toFixed(1)}%`;
}

/** Formats a count with its noun, such as `1 message` or `2 messages`. The plural adds a plain -s. */
export function formatCount(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}
