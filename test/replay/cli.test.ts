import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { ReplayReport } from '../../src/replay/report.js';
import { FIXTURES } from './support.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SAMPLE = join(FIXTURES, 'slack-export-sample-part');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the replay CLI as a user would, without the policy variables of the calling shell. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CHAT_') && name !== 'DM_SENSITIVE'));
  return new Promise((done) => {
    execFile('npx', ['tsx', 'src/replay/cli.ts', ...args], { cwd: ROOT, env: { ...inherited, ...env } }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      done({ code, stdout, stderr });
    });
  });
}

function expectOneLineError(run: Run): void {
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^replay: /);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

let directory: string | undefined;

function temporaryDirectory(): string {
  directory ??= mkdtempSync(join(tmpdir(), 'replay-cli-'));
  return directory;
}

afterEach(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

/** Writes a policy file into the temporary folder and returns its path. */
function policyFile(policy: unknown): string {
  const path = join(temporaryDirectory(), 'policy.json');
  writeFileSync(path, typeof policy === 'string' ? policy : JSON.stringify(policy));
  return path;
}

describe('replay CLI usage', () => {
  it('prints help with the method', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: npm run replay -- [--json] [--html FILE] [--policy FILE] [--prompt-cache-minutes N] PATH...');
    expect(run.stdout).toContain('Each human message is a user turn');
    expect(run.stdout).toContain('1,024 prompt tokens');
    expect(run.stdout).toContain('(default 10; 0 turns the estimate off)');
  });

  it('rejects an unknown option', async () => {
    const run = await runCli(['--bogus', SAMPLE]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('replay: Unknown option --bogus. Run npm run replay -- --help for the usage.\n');
    expect(run.stdout).toBe('');
  });

  it('rejects a missing PATH', async () => {
    const run = await runCli(['--json']);
    expect(run.code).toBe(2);
    expectOneLineError(run);
    expect(run.stderr).toContain('Missing PATH');
  });

  it('rejects --html without a file', async () => {
    const run = await runCli([SAMPLE, '--html']);
    expect(run.code).toBe(2);
    expectOneLineError(run);
    expect(run.stderr).toContain('Missing value of --html');
  });

  it('rejects a bad --prompt-cache-minutes', async () => {
    for (const value of ['ten', '-5']) {
      const run = await runCli(['--prompt-cache-minutes', value, SAMPLE]);
      expect(run.code).toBe(2);
      expectOneLineError(run);
      expect(run.stderr).toContain(`Invalid --prompt-cache-minutes "${value}": expected a number of minutes, 0 or more`);
      expect(run.stdout).toBe('');
    }
  });
});

describe('replay CLI bad input', () => {
  it('names a missing path', async () => {
    const missing = join(ROOT, 'no-such-export');
    const run = await runCli([missing]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`replay: skipped ${missing}: not found; check the path`);
    expect(run.stderr).toContain('nothing to replay');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a folder that is not an export', async () => {
    const empty = temporaryDirectory();
    const run = await runCli([empty]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${empty}: is not an export`);
    expect(run.stderr).toContain('Pass an unzipped Slack export folder');
  });

  it('skips one malformed day file', async () => {
    const copy = join(temporaryDirectory(), 'slack-tiny');
    cpSync(join(FIXTURES, 'slack-tiny'), copy, { recursive: true });
    const broken = join(copy, 'random', '2024-03-02.json');
    writeFileSync(broken, '[{"ts": ');
    const run = await runCli(['--json', '--policy', policyFile({}), copy]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`replay: skipped ${broken}: invalid JSON`);
    expect(run.stderr).toContain('fix the file or remove it from the export');
    const report = JSON.parse(run.stdout) as ReplayReport;
    // The random channel's two turns are gone; the other seven are replayed.
    expect(report.turns).toBe(7);
    expect(report.conversations).toBe(3);
    expect(report.files.problems).toHaveLength(1);
  });

  it('rejects a bad policy value', async () => {
    const run = await runCli(['--policy', policyFile({ CHAT_CONTEXT_WINDOW: 'lots' }), SAMPLE]);
    expect(run.code).toBe(2);
    expectOneLineError(run);
    expect(run.stderr).toContain('Invalid CHAT_CONTEXT_WINDOW="lots": expected a whole number of messages from 0 to 1000.');
    expect(run.stderr).toContain('policy.json');
  });

  it('rejects an unknown policy variable', async () => {
    const run = await runCli(['--policy', policyFile({ CHAT_WINDOW: 3 }), SAMPLE]);
    expect(run.code).toBe(2);
    expectOneLineError(run);
    expect(run.stderr).toContain('Unknown variable CHAT_WINDOW');
  });

  it('rejects a malformed policy file', async () => {
    const run = await runCli(['--policy', policyFile('{"CHAT_CONTEXT_WINDOW": '), SAMPLE]);
    expect(run.code).toBe(2);
    expectOneLineError(run);
    expect(run.stderr).toContain('Cannot read the policy file');
  });

  it('rejects a bad environment value', async () => {
    const run = await runCli([SAMPLE], { CHAT_MAX_TOKENS_SIMPLE: '0' });
    expect(run.code).toBe(2);
    expectOneLineError(run);
    expect(run.stderr).toContain('Invalid CHAT_MAX_TOKENS_SIMPLE="0"');
    expect(run.stderr).toContain('the environment');
  });
});

describe('replay CLI output', () => {
  it('prints JSON for the sample export', async () => {
    const run = await runCli(['--json', '--policy', policyFile({}), SAMPLE]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as ReplayReport;
    expect(report.conversations).toBe(2);
    expect(report.prompt_cache_minutes).toBe(10);
    expect(report.turns).toBeGreaterThan(20);
    expect(report.skipped.by_reason.channel_join).toBeGreaterThan(0);
    for (const figures of [report.baseline, report.optimized]) {
      expect(figures.turns).toBe(report.turns);
      expect(figures.prompt_tokens).toBeGreaterThan(0);
      expect(figures.cached_tokens).toBeLessThanOrEqual(figures.prompt_tokens);
      expect(figures.completion_tokens).toBeGreaterThan(0);
      expect(figures.cost_usd).toBeGreaterThan(0);
    }
    expect(report.optimized.cost_usd).toBeLessThan(report.baseline.cost_usd);
    expect(Object.keys(report.strategies).sort()).toEqual(['cache', 'output_limits', 'routing', 'window']);
    expect(typeof report.same_model_savings_pct).toBe('number');
    const answered = Object.values(report.optimized.models).reduce((total, turns) => total + turns, 0);
    expect(answered + report.optimized.cache_hits + report.optimized.rejected_turns).toBe(report.turns);
  });

  it('prints a table and writes HTML', async () => {
    const html = join(temporaryDirectory(), 'report.html');
    const run = await runCli(['--html', html, '--policy', policyFile({}), SAMPLE]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Replayed 2 conversations, \d+ turns/);
    expect(run.stdout).toMatch(/^baseline \(gpt-4o, full history\) +[\d,]+/m);
    expect(run.stdout).toMatch(/^frugal +[\d,]+ .*%/m);
    expect(run.stdout).toContain('window only');
    expect(run.stdout).toContain('with prefixes expiring after 10 minutes unused');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toMatch(/<polyline points="[\d.,\s]+"/);
    expect(page).not.toMatch(/<script|<link|src=|url\(/);
  });

  it('turns the prompt cache off', async () => {
    const run = await runCli(['--json', '--prompt-cache-minutes', '0', '--policy', policyFile({}), SAMPLE]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ReplayReport;
    expect(report.prompt_cache_minutes).toBe(0);
    const table = await runCli(['--prompt-cache-minutes', '0', '--policy', policyFile({}), SAMPLE]);
    expect(table.stdout).toContain('the prompt cache estimate was off (--prompt-cache-minutes 0)');
  });

  it('replays DiscordChatExporter files', async () => {
    const run = await runCli(['--json', '--policy', policyFile({}), join(FIXTURES, 'discord-tiny-channel.json'), join(FIXTURES, 'discord-tiny-thread.json')]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ReplayReport;
    expect(report.conversations).toBe(2);
    expect(report.turns).toBe(7);
    expect(report.unanswered_turns).toBe(2);
    expect(report.skipped.total).toBe(4);
  });
});
