import { App } from 'aws-cdk-lib';
import { FEATURE_FLAGS } from './feature-flags.ts';
import { readFerryConfig, readStackEnvironment } from './ferry-config.ts';
import { FerryStack } from './ferry-stack.ts';
import { applyNagChecks } from './nag-checks.ts';

export const STACK_NAME = 'Ferry';

export interface FerryAppOptions {
  outdir: string;
  /** CDK context: the deployment's choices (see main.ts); wins over CDK_CONTEXT_JSON's. */
  context?: Record<string, unknown>;
}

/** The app with its one stack, and cdk-nag's checks, which fail synthesis on any unexplained finding. */
export function buildFerryApp(options: FerryAppOptions): { app: App; stack: FerryStack } {
  const app = new App({
    outdir: options.outdir,
    analyticsReporting: false,
    context: FEATURE_FLAGS,
    postCliContext: options.context ?? {},
  });
  applyNagChecks(app);
  const stack = new FerryStack(app, STACK_NAME, {
    env: readStackEnvironment(app.node),
    description: 'Ferry: imports large files from HTTP, Dropbox, Google Drive and S3 into S3',
    config: readFerryConfig(app.node),
  });
  return { app, stack };
}
