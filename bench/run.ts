import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { OpenAIChatModel } from '../src/llm/openai-chat-model.js';
import { workspaceKey } from '../src/store/ledger.js';
import { killChildren, readJsonLine, startScript, stopChild } from './children.js';
import { benchConfig, InstantModel, openCore } from './core.js';
import { checkLedger, type FilledLedger, fillLedger, OTHER_WORKSPACE_ID } from './ledger-fill.js';
import { measureMemory } from './memory.js';
import { measureOverhead } from './overhead.js';
import { measurePromptGrowth } from './prompt-growth.js';
import {
  describeMachine,
  mergeReport,
  promptTotals,
  renderCounting,
  renderMemory,
  renderOverhead,
  renderPrompt,
  renderStats,
  renderTargets,
  renderThroughput,
  type TargetCheck,
} from './report.js';
import { formatCount, formatMs, formatRatio } from './stats.js';
import { measureStats } from './stats-latency.js';
import { measureStoreOperations } from './store-operations.js';
import { measureCounting } from './token-counting.js';
import { measureModelCalls, measureThroughput } from './throughput.js';
import { BENCH_WORKSPACE_ID, loadQuestions } from './workload.js';

const USAGE = `Usage: npm run bench -- [--quick] [--out FILE]

  --quick      smaller sizes, for a smoke run of every section; writes no report unless --out is given
  --out FILE   write the report to FILE instead of BENCHMARKS.md at the repository root
  --help       print this help`;

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Sizes of a full run, which takes a few minutes on 2 cores. */
const FULL = {
  ledgerRecords: 1_000_000,
  overheadTurns: 5000,
  overheadWarmup: 500,
  storeOperations: 2000,
  throughputTurns: 6000,
  throughputWarmup: 300,
  concurrency: 16,
  statsRuns: 1000,
  counting: { blobBytes: 100 * 1024, budgetMs: 3000, minRuns: 5, maxRuns: 50 },
  promptTurns: 100,
  memoryConversations: 10_000,
  memoryTurns: 3,
};

/** Sizes of a quick run, which exercises every section in well under a minute. */
const QUICK: typeof FULL = {
  ledgerRecords: 20_000,
  overheadTurns: 300,
  overheadWarmup: 50,
  storeOperations: 100,
  throughputTurns: 300,
  throughputWarmup: 30,
  concurrency: 8,
  statsRuns: 50,
  counting: { blobBytes: 10 * 1024, budgetMs: 100, minRuns: 1, maxRuns: 5 },
  promptTurns: 100,
  memoryConversations: 500,
  memoryTurns: 3,
};

const TARGETS = { overheadP50Ms: 0.5, overheadP99Ms: 5, turnsPerSecond: 1000, statsMs: 20 };

/** First question of each section in the sequence of distinct questions, far enough apart that no two sections share one. */
const FIRST_QUESTION = { overhead: 0, throughput: 20_000, coreOnly: 40_000, prompt: 60_000 };

interface Options {
  quick: boolean;
  out?: string;
}

class UsageError extends Error {}

/** Everything the sections share, and what they add to the report. */
interface Run {
  sizes: typeof FULL;
  questions: string[];
  workDirectory: string;
  startedAt: Date;
  parts: string[];
  checks: TargetCheck[];
  /** Reasons the figures cannot be trusted; any makes the run exit with status 1. */
  failures: string[];
}

function parseOptions(argv: string[]): Options | undefined {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { quick: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean' } } });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}.`);
  }
  if (parsed.values.help) return undefined;
  const out = parsed.values.out;
  if (out !== undefined) {
    const folder = dirname(resolve(out));
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new UsageError(`Invalid --out ${JSON.stringify(out)}: the folder ${folder} does not exist. Create it, or name a file in an existing folder.`);
    }
  }
  return { quick: parsed.values.quick === true, out };
}

/** Prints what runs next, so that a long section does not look stuck. */
function announce(step: string): void {
  process.stdout.write(`\n${step}...\n`);
}

/** Prints one section to standard output and keeps it for the report. */
function addSection(run: Run, title: string, body: string): void {
  const text = `### ${title}\n\n${body}\n`;
  run.parts.push(text);
  process.stdout.write(`\n${text}`);
}

async function overheadSection(run: Run): Promise<FilledLedger> {
  const instant = new InstantModel();
  const frugal = await openCore(run.workDirectory, {}, instant);
  try {
    announce(`Prefilling the ledger with ${formatCount(run.sizes.ledgerRecords)} records`);
    const fill = await fillLedger(frugal.store.ledger, frugal.session.prices, run.sizes.ledgerRecords, run.startedAt);
    await checkLedger(frugal.store.ledger, run.sizes.ledgerRecords, run.startedAt);
    announce(`Timing ${formatCount(run.sizes.overheadTurns)} turns with an in-process model`);
    const overhead = await measureOverhead(frugal.session, instant, run.questions, {
      turns: run.sizes.overheadTurns,
      warmup: run.sizes.overheadWarmup,
      firstQuestion: FIRST_QUESTION.overhead,
    });
    const operations = await measureStoreOperations(frugal.store, run.sizes.storeOperations, run.startedAt);
    addSection(run, 'Core overhead per turn (model call excluded)', renderOverhead(overhead, fill, operations));
    run.checks.push(
      { target: `core overhead p50 <= ${TARGETS.overheadP50Ms} ms`, measured: formatMs(overhead.all.p50), met: overhead.all.p50 <= TARGETS.overheadP50Ms },
      { target: `core overhead p99 <= ${TARGETS.overheadP99Ms} ms`, measured: formatMs(overhead.all.p99), met: overhead.all.p99 <= TARGETS.overheadP99Ms },
    );
    return fill;
  } finally {
    await frugal.close();
  }
}

/**
 * Measures whole turns through the openai SDK against the zero-latency server in its own
 * process, then the SDK alone and the core alone at the same concurrency, which bound it.
 */
async function throughputSection(run: Run): Promise<void> {
  const { sizes, questions } = run;
  announce(`Running ${formatCount(sizes.throughputTurns)} turns through the openai SDK, then the SDK alone and the core alone`);
  const loadOptions = (firstQuestion: number) => ({
    turns: sizes.throughputTurns,
    warmup: sizes.throughputWarmup,
    concurrency: sizes.concurrency,
    turnsPerConversation: 4,
    firstQuestion,
  });
  const server = startScript('./openai-server.ts');
  let sdkCallsPerSecond: number;
  let whole;
  try {
    const { baseURL } = await readJsonLine<{ baseURL: string }>(server, 'The OpenAI-compatible server', 30_000);
    const env = { OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: 'sk-bench-local-server', OPENAI_MAX_RETRIES: '0', OPENAI_TIMEOUT_MS: '10000' };
    const frugal = await openCore(run.workDirectory, env);
    try {
      whole = await measureThroughput(frugal.session, questions, loadOptions(FIRST_QUESTION.throughput));
    } finally {
      await frugal.close();
    }
    const sdk = new OpenAIChatModel(benchConfig(run.workDirectory, env).openai);
    sdkCallsPerSecond = await measureModelCalls(sdk, questions, { calls: sizes.throughputTurns, warmup: sizes.throughputWarmup, concurrency: sizes.concurrency });
  } finally {
    await stopChild(server);
  }

  const frugal = await openCore(run.workDirectory, {}, new InstantModel());
  let coreOnly;
  try {
    coreOnly = await measureThroughput(frugal.session, questions, loadOptions(FIRST_QUESTION.coreOnly));
  } finally {
    await frugal.close();
  }

  addSection(run, 'Turns per second (openai SDK, local zero-latency server)', renderThroughput(whole, coreOnly, sdkCallsPerSecond, sizes.concurrency));
  run.checks.push({
    target: `>= ${formatCount(TARGETS.turnsPerSecond)} turns per second`,
    measured: formatCount(whole.turnsPerSecond),
    met: whole.turnsPerSecond >= TARGETS.turnsPerSecond,
  });
  if (whole.failedTurns + coreOnly.failedTurns > 0) run.failures.push(`${whole.failedTurns + coreOnly.failedTurns} turns of the throughput section failed`);
}

function countingSection(run: Run): void {
  announce('Counting tokens with three counters');
  const counting = measureCounting(run.questions, run.sizes.counting);
  addSection(run, 'Token counting', renderCounting(counting.counters, counting.cases));
  for (const countCase of counting.cases) {
    const [ours, gptTokenizer] = countCase.counters;
    const ratio = gptTokenizer!.medianMs / ours!.medianMs;
    run.checks.push({ target: `counting at least as fast as gpt-tokenizer: ${countCase.name}`, measured: formatRatio(ratio), met: ratio >= 1 });
    if (!countCase.agree) run.failures.push(`the token counts of "${countCase.name}" disagree`);
  }
}

/** Times /stats on the prefilled ledger, which by now also contains the turns of the sections before. */
async function statsSection(run: Run, fill: FilledLedger): Promise<void> {
  announce('Timing /stats');
  const frugal = await openCore(run.workDirectory, {}, new InstantModel());
  try {
    const ledger = frugal.store.ledger;
    const inWorkspace = await ledger.recordCount(workspaceKey('slack', BENCH_WORKSPACE_ID));
    const records = inWorkspace + (await ledger.recordCount(workspaceKey('slack', OTHER_WORKSPACE_ID)));
    const stats = await measureStats(frugal.commands, fill.users, run.sizes.statsRuns);
    addSection(run, '/stats latency', renderStats(stats, records, inWorkspace));
    // The workspace part of an admin's reply must count every record of the workspace.
    const workspacePart = stats.adminReply.split('**Workspace**')[1] ?? '';
    const shown = /All time: \S+ over (\d+) messages?/.exec(workspacePart)?.[1];
    if (Number(shown) !== inWorkspace) {
      run.failures.push(`/stats shows ${shown ?? 'no'} messages of all time for the workspace, but the ledger has ${inWorkspace} records`);
    }
    for (const [caller, summary] of [['user', stats.user], ['admin', stats.admin]] as const) {
      run.checks.push({ target: `/stats p99 <= ${TARGETS.statsMs} ms (${caller})`, measured: formatMs(summary.p99), met: summary.p99 <= TARGETS.statsMs });
    }
  } finally {
    await frugal.close();
  }
}

/** Plays one long conversation on a fresh store with the default configuration. */
async function promptSection(run: Run): Promise<string> {
  const directory = join(run.workDirectory, 'prompt');
  mkdirSync(directory);
  const model = new InstantModel();
  const frugal = await openCore(directory, {}, model);
  let turns;
  try {
    turns = await measurePromptGrowth(frugal.session, model, run.questions, { turns: run.sizes.promptTurns, firstQuestion: FIRST_QUESTION.prompt });
  } finally {
    await frugal.close();
  }
  addSection(run, `Prompt tokens per turn, turns 1 to ${run.sizes.promptTurns} of one conversation`, renderPrompt(turns));
  const totals = promptTotals(turns);
  return (
    `Prompt tokens over ${run.sizes.promptTurns} turns of one conversation: ${formatCount(totals.baseline)} when every turn ` +
    `resends the whole history, ${formatCount(totals.frugal)} with Frugal (${formatRatio(totals.baseline / totals.frugal)} fewer).`
  );
}

async function memorySection(run: Run): Promise<void> {
  const directory = join(run.workDirectory, 'memory');
  mkdirSync(directory);
  announce(`Playing ${formatCount(run.sizes.memoryConversations)} conversations in a child process`);
  const memory = await measureMemory(directory, run.sizes.memoryConversations, run.sizes.memoryTurns);
  addSection(run, 'Memory with active conversations', renderMemory(memory));
}

function loadLine(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');
}

async function runBenchmarks(options: Options, workDirectory: string): Promise<number> {
  const startedAt = new Date();
  const run: Run = {
    sizes: options.quick ? QUICK : FULL,
    questions: loadQuestions(),
    workDirectory,
    startedAt,
    parts: [],
    checks: [],
    failures: [],
  };
  const machine = describeMachine();
  const loadAtStart = loadLine();
  process.stdout.write(
    `Frugal benchmark (${options.quick ? 'quick' : 'full'} run), ${startedAt.toISOString()}\n${machine}\n` +
      `Load average at start: ${loadAtStart}\nTemporary files: ${workDirectory}\n`,
  );

  // Counting goes first, so that the heaps the other sections leave behind do not slow it down.
  countingSection(run);
  const fill = await overheadSection(run);
  await throughputSection(run);
  await statsSection(run, fill);
  const promptSummary = await promptSection(run);
  await memorySection(run);

  const targets = renderTargets(run.checks);
  process.stdout.write(`\n### Targets\n\n${targets}\n`);
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const summary = [
    `Figures from a ${options.quick ? 'quick' : 'full'} run of \`npm run bench${options.quick ? ' -- --quick' : ''}\`, ` +
      `started ${startedAt.toISOString()} and finished in ${seconds.toFixed(0)} s.`,
    '',
    ...machine.split('\n').map((line) => `- ${line}`),
    `- Load average (1, 5, 15 minutes): ${loadAtStart} at the start, ${loadLine()} at the end`,
    '',
    promptSummary,
    '',
    targets,
  ].join('\n');

  const out = options.out ?? (options.quick ? undefined : join(REPOSITORY_ROOT, 'BENCHMARKS.md'));
  if (out) {
    const existing = existsSync(out) ? readFileSync(out, 'utf8') : undefined;
    writeFileSync(out, mergeReport(existing, `### Summary\n\n${summary}\n\n${run.parts.join('\n')}`));
    process.stdout.write(`\nReport written to ${out}\n`);
  }
  if (run.failures.length > 0) {
    process.stderr.write(`bench: some figures are wrong: ${run.failures.join('; ')}.\n`);
    return 1;
  }
  return 0;
}

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const workDirectory = mkdtempSync(join(tmpdir(), 'frugal-bench-'));
  // Runs on every exit, normal or not, so that no store file or child process is left behind.
  process.once('exit', () => {
    killChildren();
    rmSync(workDirectory, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  return runBenchmarks(options, workDirectory);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
