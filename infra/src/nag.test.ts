import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { applyNagChecks } from './nag-checks.ts';
import { nagAcknowledgements, reasonProblems, unacknowledgedFindings } from './testing/nag-findings.ts';
import { synthFerry } from './testing/synth-ferry.ts';

const { app } = synthFerry();

describe('cdk-nag AWS Solutions checks', () => {
  it('leave no finding unacknowledged, error or warning', () => {
    expect(unacknowledgedFindings(app)).toEqual([]);
  });

  it('fail synthesis on a finding: an unguarded bucket', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ferry-nag-test-'));
    try {
      const bare = new App({ outdir });
      applyNagChecks(bare);
      new s3.Bucket(new Stack(bare, 'Bare'), 'Bucket');
      expect(() => bare.synth()).toThrow(
        /AwsSolutions-S1[\s\S]*AwsSolutions-S10|AwsSolutions-S10[\s\S]*AwsSolutions-S1/,
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('are each acknowledged with a reason of its own', () => {
    expect(nagAcknowledgements(app).length).toBeGreaterThan(0);
    expect(reasonProblems(app)).toEqual([]);
  });
});
