import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

export interface ContainerDefinition {
  Name: string;
  Command?: string[];
  StopTimeout?: number;
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  [key: string]: unknown;
}

/** The one container of that name across the template's task definitions. */
export function containerNamed(template: Template, name: string): ContainerDefinition {
  const containers = Object.values(template.findResources('AWS::ECS::TaskDefinition')).flatMap(
    (resource) => resource.Properties.ContainerDefinitions as ContainerDefinition[],
  );
  const matching = containers.filter((container) => container.Name === name);
  if (matching.length !== 1)
    throw new Error(`expected one container named ${name}, found ${matching.length}`);
  return matching[0] as ContainerDefinition;
}

export function environmentOf(container: ContainerDefinition): Record<string, unknown> {
  return Object.fromEntries((container.Environment ?? []).map(({ Name, Value }) => [Name, Value]));
}

export function secretsOf(container: ContainerDefinition): Record<string, unknown> {
  return Object.fromEntries((container.Secrets ?? []).map(({ Name, ValueFrom }) => [Name, ValueFrom]));
}

/** The logical id of a construct's CloudFormation resource, as the template spells references. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild ?? construct;
  return Stack.of(construct).getLogicalId(resource as Parameters<Stack['getLogicalId']>[0]);
}

export interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the policies attached to the role with that logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[]);
}

export function actionsOf(statement: PolicyStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
