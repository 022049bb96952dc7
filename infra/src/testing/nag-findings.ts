import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** cdk-nag's AWS Solutions findings left after the acknowledgements, errors and warnings alike. */
export function unacknowledgedFindings(
  scope: IConstruct,
): { rule: string; severity: string; paths: string[] }[] {
  return new AwsSolutionsChecks().validateScope(scope).violations.map((violation) => ({
    rule: violation.ruleName,
    severity: violation.severity ?? 'unknown',
    paths: (violation.violatingResources ?? []).map((resource) => resource.constructPath ?? '?'),
  }));
}

/**
 * Every cdk-nag acknowledgement in the tree: where, which rule, and the reason written for it.
 * (CDK acknowledges some of its own CloudFormation-Validate rules; those are not ours to explain.)
 */
export function nagAcknowledgements(scope: IConstruct): { path: string; rule: string; reason: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>)
          .filter(([rule]) => rule.startsWith('Annotation::AwsSolutions-'))
          .map(([rule, reason]) => ({ path: construct.node.path, rule, reason })),
      ),
  );
}

/**
 * What makes an acknowledgement's reason not a reason: too short to say why, or the same words
 * given for several rules. One reason may cover one rule in several places.
 */
export function reasonProblems(scope: IConstruct): string[] {
  const all = nagAcknowledgements(scope);
  const rulesByReason = new Map<string, Set<string>>();
  for (const { rule, reason } of all)
    rulesByReason.set(reason, (rulesByReason.get(reason) ?? new Set()).add(rule));
  return [
    ...all
      .filter(({ reason }) => reason.length < 60)
      .map(({ path, rule }) => `${path} ${rule}: reason too short`),
    ...[...rulesByReason]
      .filter(([, rules]) => rules.size > 1)
      .map(([reason, rules]) => `"${reason}" given for ${[...rules].join(', ')}`),
  ];
}
