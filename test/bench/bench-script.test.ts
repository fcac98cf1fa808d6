import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BEGIN_MARKER, END_MARKER, mergeReport } from '../../bench/report.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const SECTIONS = [
  '### Core overhead per turn (model call excluded)',
  '### Turns per second (openai SDK, local zero-latency server)',
  '### Token counting',
  '### /stats latency',
  '### Prompt tokens per turn, turns 1 to 100 of one conversation',
  '### Memory with active conversations',
];

function runBench(args: string[], timeout: number) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout });
}

describe('npm run bench --quick', () => {
  let directory: string;
  let report: string;
  let result: ReturnType<typeof runBench>;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'frugal-bench-test-'));
    report = join(directory, 'report.md');
    result = runBench(['--quick', '--out', report], 170_000);
  }, 180_000);

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('exits with status 0', () => {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('prints every section', () => {
    for (const section of SECTIONS) expect(result.stdout).toContain(section);
    expect(result.stdout).toContain('### Targets');
  });

  it('writes every section to --out', () => {
    const written = readFileSync(report, 'utf8');
    expect(written.startsWith('# Benchmarks\n')).toBe(true);
    expect(written).toContain(BEGIN_MARKER);
    expect(written).toContain(END_MARKER);
    for (const section of SECTIONS) expect(written).toContain(section);
    expect(written).toMatch(/- CPU: .+, \d+ cores/);
    expect(written).toMatch(/- Node\.js v\d+\.\d+\.\d+/);
  });

  it('reports agreeing token counts', () => {
    const written = readFileSync(report, 'utf8');
    const agreement = [...written.matchAll(/^\| [^|\n]+ \| [\d,]+ \| [\d,]+ \| [\d,]+ \| [\d,]+ \| (yes|\*\*no\*\*) \|$/gm)].map((match) => match[1]);
    expect(agreement).toHaveLength(5);
    expect(agreement.every((agrees) => agrees === 'yes')).toBe(true);
  });

  it('removes its temporary files', () => {
    const folder = /^Temporary files: (.+)$/m.exec(result.stdout)?.[1];
    expect(folder).toBeDefined();
    expect(existsSync(folder!)).toBe(false);
  });

  it('stops its child processes', () => {
    const pids = [...result.stdout.matchAll(/^Started \S+ as process (\d+)$/gm)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(() => process.kill(pid, 0), `process ${pid}`).toThrow(/ESRCH/);
  });
});

describe('npm run bench options', () => {
  it('rejects an unknown option', () => {
    const result = runBench(['--fast'], 30_000);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("Unknown option '--fast'");
    expect(result.stderr).toContain('--quick');
  });

  it('rejects --out in a missing folder', () => {
    const result = runBench(['--quick', '--out', '/nonexistent-frugal-folder/report.md'], 30_000);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Invalid --out "/nonexistent-frugal-folder/report.md"');
  });
});

describe('mergeReport', () => {
  it('keeps text outside the markers', () => {
    const page = `# Benchmarks\n\nMethod text.\n\n${BEGIN_MARKER}\nold figures\n${END_MARKER}\n\nAnalysis text.\n`;
    const merged = mergeReport(page, 'new figures');
    expect(merged).toBe(`# Benchmarks\n\nMethod text.\n\n${BEGIN_MARKER}\nnew figures\n${END_MARKER}\n\nAnalysis text.\n`);
  });

  it('starts a page without markers', () => {
    expect(mergeReport(undefined, 'figures')).toBe(`# Benchmarks\n\n${BEGIN_MARKER}\nfigures\n${END_MARKER}\n`);
    expect(mergeReport('# Old page without markers\n', 'figures')).toBe(`# Benchmarks\n\n${BEGIN_MARKER}\nfigures\n${END_MARKER}\n`);
  });
});
