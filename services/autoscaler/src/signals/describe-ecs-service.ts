import { DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';

/** The ECS service, as DescribeServices has it now; throws when it is missing or deleted. */
export async function describeEcsService(
  client: ECSClient,
  cluster: string,
  service: string,
): Promise<Service> {
  const answer = await client.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const found = answer.services?.[0];
  if (!found || found.status === 'INACTIVE') {
    const reason = answer.failures?.[0]?.reason ?? found?.status ?? 'not found';
    throw new Error(`ECS service ${service} in cluster ${cluster}: ${reason}`);
  }
  return found;
}
