import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_NAME } from './ferry-app.ts';
import { TEST_IMAGE } from './testing/synth-ferry.ts';

const MAIN = resolve(import.meta.dirname, 'main.ts');
const outdir = mkdtempSync(join(tmpdir(), 'ferry-infra-synth-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the infra:synth entry', () => {
  it('writes the CloudFormation template offline, without AWS credentials', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [MAIN, '-o', outdir, '-c', `image=${TEST_IMAGE}`],
      {
        // No credentials and no profile to find: synthesis must not need them.
        env: { PATH: process.env.PATH, HOME: outdir, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      },
    );
    expect(stdout).toContain(`CloudFormation written to ${outdir}`);
    const template = JSON.parse(readFileSync(join(outdir, `${STACK_NAME}.template.json`), 'utf8'));
    expect(Object.keys(template.Resources).length).toBeGreaterThan(50);
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(true);
    // Account-agnostic: the account is CloudFormation's, never one written in.
    expect(JSON.stringify(template)).toContain('"Ref":"AWS::AccountId"');
  });
});
