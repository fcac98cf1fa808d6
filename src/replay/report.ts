import type { Config } from '../config/config.js';
import { picoToUsd } from '../core/pricing.js';
import { type PolicyName, STRATEGY_NAMES } from './policies.js';
import type { Recording } from './recording.js';
import type { PolicyFigures, ReplayResult } from './replay.js';

export interface FiguresJson {
  strong_model: string;
  turns: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  cache_hits: number;
  rejected_turns: number;
  cut_answers: number;
  models: Record<string, number>;
}

/** The `--json` output. Token counts are exact; `cached_tokens` is an estimate of OpenAI's prompt caching. */
export interface ReplayReport {
  conversations: number;
  turns: number;
  unanswered_turns: number;
  /** The inactivity limit of the prompt cache estimate in minutes, or 0 when the estimate was off. */
  prompt_cache_minutes: number;
  skipped: { total: number; by_reason: Record<string, number> };
  files: { read: number; problems: { file: string; message: string }[] };
  policy: Record<string, unknown>;
  baseline: FiguresJson;
  optimized: FiguresJson;
  savings_pct: number;
  same_model_savings_pct: number;
  strategies: Record<(typeof STRATEGY_NAMES)[number], number>;
  /** Full figures of the strategy-alone policies and of `same_model`. */
  policies: Record<Exclude<PolicyName, 'baseline' | 'optimized'>, FiguresJson>;
}

function figuresJson(figures: PolicyFigures): FiguresJson {
  return {
    strong_model: figures.strongModel,
    turns: figures.turns,
    prompt_tokens: figures.promptTokens,
    cached_tokens: figures.cachedTokens,
    completion_tokens: figures.completionTokens,
    cost_usd: picoToUsd(figures.costPico),
    cache_hits: figures.cacheHits,
    rejected_turns: figures.rejectedTurns,
    cut_answers: figures.cutAnswers,
    models: figures.models,
  };
}

/** Returns the percentage of the baseline's cost that a policy saves, to two decimals; 0 when the baseline cost nothing. */
export function savingsPct(baseline: PolicyFigures, policy: PolicyFigures): number {
  if (baseline.costPico === 0) return 0;
  return Math.round(((baseline.costPico - policy.costPico) / baseline.costPico) * 10_000) / 100;
}

export function buildReport(recording: Recording, result: ReplayResult, optimized: Config): ReplayReport {
  const { policies } = result;
  const chat = optimized.chat;
  return {
    conversations: result.conversations,
    turns: result.turns,
    unanswered_turns: result.unansweredTurns,
    prompt_cache_minutes: result.promptCacheMinutes,
    skipped: {
      total: recording.skippedTotal(),
      by_reason: Object.fromEntries([...recording.skipped].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    },
    files: { read: recording.filesRead, problems: recording.problems },
    policy: {
      default_model: chat.defaultModel,
      cheap_model: chat.cheapModel,
      strong_model: chat.strongModel,
      context_window: chat.contextWindow,
      max_context_tokens: chat.maxContextTokens,
      max_tokens: { simple: chat.maxTokensSimple, default: chat.maxTokensDefault, complex: chat.maxTokensComplex },
      cache: { enabled: chat.enableCache, max_size: chat.cacheMaxSize, ttl_seconds: chat.cacheTtlSeconds },
      dm_sensitive: optimized.dmSensitive,
    },
    baseline: figuresJson(policies.baseline),
    optimized: figuresJson(policies.optimized),
    savings_pct: savingsPct(policies.baseline, policies.optimized),
    same_model_savings_pct: savingsPct(policies.baseline, policies.same_model),
    strategies: {
      window: savingsPct(policies.baseline, policies.window),
      routing: savingsPct(policies.baseline, policies.routing),
      cache: savingsPct(policies.baseline, policies.cache),
      output_limits: savingsPct(policies.baseline, policies.output_limits),
    },
    policies: {
      window: figuresJson(policies.window),
      routing: figuresJson(policies.routing),
      cache: figuresJson(policies.cache),
      output_limits: figuresJson(policies.output_limits),
      same_model: figuresJson(policies.same_model),
    },
  };
}

const number = new Intl.NumberFormat('en-US');

/** Rows of the table: label and the policy whose figures it shows. */
function tableRows(report: ReplayReport): [string, FiguresJson, number | undefined][] {
  const strong = report.baseline.strong_model;
  return [
    [`baseline (${strong}, full history)`, report.baseline, undefined],
    ['frugal', report.optimized, report.savings_pct],
    ['  window only', report.policies.window, report.strategies.window],
    ['  routing only', report.policies.routing, report.strategies.routing],
    ['  cache only', report.policies.cache, report.strategies.cache],
    ['  output limits only', report.policies.output_limits, report.strategies.output_limits],
    [`frugal, all on ${strong}`, report.policies.same_model, report.same_model_savings_pct],
  ];
}

function promptCacheNote(minutes: number): string {
  if (minutes === 0) return 'Cached tokens: the prompt cache estimate was off (--prompt-cache-minutes 0), so every prompt token is billed at the input price.';
  const limit = `${number.format(minutes)} minute${minutes === 1 ? '' : 's'}`;
  return `Cached tokens are an estimate of OpenAI's automatic prompt caching, with prefixes expiring after ${limit} unused; see docs/replay.md.`;
}

/** Formats the report as the table printed on standard output. */
export function formatTable(report: ReplayReport): string {
  const skippedReasons = Object.entries(report.skipped.by_reason)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const lines = [
    `Replayed ${report.conversations} conversations, ${number.format(report.turns)} turns ` +
      `(${report.unanswered_turns} with no recorded answer) from ${report.files.read} files.`,
    `Skipped ${report.skipped.total} messages${skippedReasons ? `: ${skippedReasons}` : ''}.`,
    '',
  ];
  const header = ['policy', 'prompt tokens', 'cached tokens', 'completion tokens', 'cost USD', 'savings', 'cache hits', 'cut answers', 'rejected'];
  const body = tableRows(report).map(([label, figures, savings]) => [
    label,
    number.format(figures.prompt_tokens),
    number.format(figures.cached_tokens),
    number.format(figures.completion_tokens),
    figures.cost_usd.toFixed(4),
    savings === undefined ? '' : `${savings.toFixed(2)}%`,
    number.format(figures.cache_hits),
    number.format(figures.cut_answers),
    number.format(figures.rejected_turns),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((row) => row[column]!.length)));
  const formatRow = (row: string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  lines.push(formatRow(header), ...body.map(formatRow), '');
  const models = Object.entries(report.optimized.models)
    .sort((a, b) => b[1] - a[1])
    .map(([model, turns]) => `${model} ${turns}`)
    .join(', ');
  lines.push(`Frugal turns per model: ${models || 'none'}; cache hits ${report.optimized.cache_hits}.`);
  lines.push(promptCacheNote(report.prompt_cache_minutes));
  return `${lines.join('\n')}\n`;
}
