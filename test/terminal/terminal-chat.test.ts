import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { parseCommand } from '../../src/terminal/terminal-chat.js';
import { OpenAIStandIn } from '../support/openai-stand-in.js';
import { REDIS_AVAILABLE, RedisServer } from '../support/redis-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How long a run may take before it is killed, so that a start-up that hangs fails the test. */
const RUN_TIMEOUT_MS = 15_000;

/** Runs the bot's entry point as `npm start` does, with the given input on a pipe. */
function runBot(input: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TSX, ['src/index.ts'], {
      cwd: ROOT,
      // PATH is kept so tsx can find node; no platform credentials are passed on.
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // A group of its own, so a timeout kills node as well as the tsx process that started it.
      detached: true,
    });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), RUN_TIMEOUT_MS);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe('parseCommand', () => {
  it.each([
    ['/stats', { name: 'stats', args: '' }],
    ['/MODEL gpt-4o', { name: 'MODEL', args: 'gpt-4o' }],
    ['/model  gpt-4o  extra', { name: 'model', args: 'gpt-4o  extra' }],
    ['/budget', { name: 'budget', args: '' }],
  ])('reads %j as a command', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each(['/etc/hosts is missing, why?', '/budget for next month?', '/etc/hosts', 'how do I use /stats?'])('reads %j as a question', (text) => {
    expect(parseCommand(text)).toBeUndefined();
  });
});

describe('terminal chat', () => {
  let openai: OpenAIStandIn;
  let directory: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    openai = new OpenAIStandIn();
    const baseURL = await openai.start();
    directory = mkdtempSync(join(tmpdir(), 'frugal-terminal-'));
    env = {
      // A developer's own .env must not leak credentials into these runs.
      DOTENV_CONFIG_PATH: join(directory, 'absent.env'),
      OPENAI_BASE_URL: baseURL,
      STORE_URL: `sqlite://${join(directory, 'store.sqlite')}`, OPENAI_MAX_RETRIES: '0' };
  });

  afterEach(async () => {
    await openai.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('answers lines from a pipe and exits 0 at end of input', async () => {
    openai.behaviour.reply = (request) => `reply to ${request.messages.at(-1)!.content}`;
    const run = await runBot('hello\n\n   \nHow do I export data?\n/stats\n/model\n', env);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('reply to hello');
    expect(lines[1]).toBe('reply to How do I export data?');
    expect(run.stdout).toMatch(/Today \(UTC\): \$0\.\d+ over 2 messages/);
    expect(run.stdout).toContain('This workspace uses automatic routing');
    expect(openai.requests).toHaveLength(2);
    expect(run.stderr).toContain('"msg":"turn finished"');
  });

  it('skips lines of invisible characters', async () => {
    const run = await runBot('\u0000\n\u200b\u200b\n\u007f\nhello\n', env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('You asked: hello\n');
    expect(openai.requests).toHaveLength(1);
  });

  it('sends a line starting with a path to the model', async () => {
    const run = await runBot('/etc/hosts is missing, why?\n/budget\n', env);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('You asked: /etc/hosts is missing, why?');
    expect(lines[1]).toBe('Unknown command /budget. The commands are /stats, /optimize, /model.');
    expect(openai.requests).toHaveLength(1);
  });

  it('keeps the conversation history between lines', async () => {
    const run = await runBot('my order number is 123\nwhat is my order number?\n', env);
    expect(run.code).toBe(0);
    const second = openai.requests[1]!;
    expect(second.messages.map((entry) => entry.content)).toContain('my order number is 123');
  });

  it('lets the local user pin a model', async () => {
    const run = await runBot('/model gpt-4.1-nano\nhello\n', env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('now uses gpt-4.1-nano');
    expect(openai.requests[0]!.model).toBe('gpt-4.1-nano');
  });

  it('stops with one line for a bad configuration value', async () => {
    const run = await runBot('hello\n', { ...env, CHAT_CONTEXT_WINDOW: 'lots' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('frugal: Invalid CHAT_CONTEXT_WINDOW="lots": expected a whole number of messages from 0 to 1000.');
    expect(openai.attemptCount).toBe(0);
  });

  it('stops with one line for an unpriced model', async () => {
    const run = await runBot('hello\n', { ...env, CHAT_DEFAULT_MODEL: 'llama3.2' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/^frugal: Unknown model in CHAT_DEFAULT_MODEL="llama3.2": it has no price\./);
  });

  it.skipIf(!REDIS_AVAILABLE)('masks the store password in logs', async () => {
    const redis = new RedisServer();
    const url = await redis.start('PW-in-store-url');
    try {
      const storeUrl = url.replace('redis://', 'redis://default:PW-in-store-url@');
      const run = await runBot('/stats\n', { ...env, STORE_URL: storeUrl });
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`"store":"${url.replace('redis://', 'redis://default:***@')}"`);
      expect(run.stderr).not.toContain('PW-in-store-url');
    } finally {
      await redis.stop();
    }
  });

  it('stops with one line for a store under /proc', async () => {
    const run = await runBot('hello\n', { ...env, STORE_URL: 'sqlite:///proc/frugal-absent/store.sqlite' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      "frugal: Cannot create the folder /proc/frugal-absent of STORE_URL=sqlite:///proc/frugal-absent/store.sqlite: " +
        "ENOENT: no such file or directory, mkdir '/proc/frugal-absent'. Set STORE_URL to a file in a writable folder.",
    );
  });

  it('stops with one line for a device as price file', async () => {
    const run = await runBot('hello\n', { ...env, CHAT_PRICES_FILE: '/dev/zero' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'frugal: Invalid CHAT_PRICES_FILE="/dev/zero": expected a regular JSON file, not a folder, device or pipe.',
    );
  });

  it('stops with one line for a pipe as rules file', async () => {
    const fifo = join(directory, 'rules.json');
    execFileSync('mkfifo', [fifo]);
    const run = await runBot('hello\n', { ...env, CHAT_ROUTING_RULES_FILE: fifo });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `frugal: Invalid CHAT_ROUTING_RULES_FILE=${JSON.stringify(fifo)}: expected a regular JSON file, not a folder, device or pipe.`,
    );
  });
});
