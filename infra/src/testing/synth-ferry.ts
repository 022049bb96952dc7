import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildFerryApp } from '../ferry-app.ts';
import type { FerryStack } from '../ferry-stack.ts';

/** An ECR image, so no test depends on infra/Dockerfile or stages the repository as an asset. */
export const TEST_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ferry:test';

export interface SynthesizedFerry {
  app: App;
  stack: FerryStack;
  template: Template;
}

/**
 * The Ferry app as `pnpm infra:synth` builds it, cdk-nag included: synthesis throws on any
 * unacknowledged finding. Call once per test file: a synthesis takes seconds.
 */
export function synthFerry(context: Record<string, unknown> = {}): SynthesizedFerry {
  const outdir = mkdtempSync(join(tmpdir(), 'ferry-infra-test-'));
  try {
    const { app, stack } = buildFerryApp({
      outdir,
      context: { image: TEST_IMAGE, region: 'eu-west-1', ...context },
    });
    return { app, stack, template: Template.fromStack(stack) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
