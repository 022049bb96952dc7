import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { localS3Client } from '@ferry/local-stack';
import { testRedisUrl, uniqueName } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY } from './paths.ts';
import { type LocalStack, startLocalStack } from './stack/local-stack.ts';

const ROWS = 8;

function runCli(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ferry import --manifest (the local stack, real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-manifest-'));
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({
      sampleSizeMiB: 1,
      log: () => {},
      env: {
        ...process.env,
        FERRY_DATA_DIR: dir,
        REDIS_URL: testRedisUrl(),
        FERRY_QUEUE: uniqueName('cli-manifest'),
        PORT: '0',
        LOG_LEVEL: 'warn',
        JOB_POLL_MS: '100',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a CSV as a job, shows its progress and ends with the report', async () => {
    const manifest = join(dir, 'rows.csv');
    const rows = Array.from({ length: ROWS }, (_, i) => `${stack.sampleUrl}?copy=${i + 1}`);
    writeFileSync(manifest, `url\n${rows.join('\n')}\n`);
    const result = await runCli(
      [
        'import',
        '--manifest',
        manifest,
        '--bucket',
        stack.bucket,
        '--key-template',
        'manifest/{row}.bin',
        '--wait',
      ],
      { FERRY_API_URL: stack.apiUrl, FERRY_API_KEY: stack.apiKey },
    );
    expect(result.stderr).toMatch(new RegExp(`completed .*100\\.0%  ${ROWS} / ${ROWS} files`));
    const [idLine, ...rest] = result.stdout.trimEnd().split('\n');
    expect(idLine).toMatch(/^job_[0-9A-Z]{26} running$/);
    const id = idLine?.split(' ')[0] ?? '';
    expect(rest).toEqual([
      `completed: ${ROWS} done, 0 failed, 0 skipped; report s3://${stack.bucket}/jobs/${id}/report.csv`,
    ]);
    expect(result.code).toBe(0);

    const s3 = localS3Client(stack.s3.endpoint, stack.s3.credentials);
    try {
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: stack.bucket, Key: `manifest/${ROWS}.bin` }),
      );
      expect(head.ContentLength).toBe(stack.sample.size);
      const report = await s3.send(
        new GetObjectCommand({ Bucket: stack.bucket, Key: `jobs/${id}/report.csv` }),
      );
      expect(((await report.Body?.transformToString()) ?? '').trimEnd().split('\n')).toHaveLength(ROWS + 1);
    } finally {
      s3.destroy();
    }

    const wrong = await runCli(['import', '--manifest', join(dir, 'rows.txt')], {
      FERRY_API_URL: stack.apiUrl,
      FERRY_API_KEY: stack.apiKey,
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--manifest takes a .csv, .tsv, .ndjson or .jsonl file');
  }, 120_000);

  it('runs the same rows again with --overwrite never: every row skipped; a bad policy is refused by name', async () => {
    const manifest = join(dir, 'again.csv');
    const rows = Array.from({ length: ROWS }, (_, i) => `${stack.sampleUrl}?again=${i + 1}`);
    writeFileSync(manifest, `url\n${rows.join('\n')}\n`);
    const env = { FERRY_API_URL: stack.apiUrl, FERRY_API_KEY: stack.apiKey };
    const args = [
      'import',
      '--manifest',
      manifest,
      '--bucket',
      stack.bucket,
      '--key-template',
      'again/{row}.bin',
    ];
    expect((await runCli([...args, '--wait'], env)).code).toBe(0);

    const result = await runCli([...args, '--overwrite', 'never', '--wait'], env);
    const id = result.stdout.split(' ')[0] ?? '';
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      `completed: 0 done, 0 failed, ${ROWS} skipped; report s3://${stack.bucket}/jobs/${id}/report.csv`,
    );
    expect(result.code).toBe(0);

    const bad = await runCli([...args, '--overwrite', 'sometimes'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/overwrite: must be one of/);
  }, 120_000);
});
