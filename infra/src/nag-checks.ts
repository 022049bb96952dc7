import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * cdk-nag's AWS Solutions rules as a validation plugin: synthesis fails on any finding, error or
 * warning, not acknowledged where it arises with `Validations.of(construct).acknowledge` and a
 * reason.
 */
export function applyNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
