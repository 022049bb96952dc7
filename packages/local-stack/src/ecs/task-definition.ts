/** What a service's tasks run: one essential container, as Ferry's worker task definition has. */
export interface EcsTaskDefinition {
  /** Names it in ARNs, with revision 1: `family:1`. Default `ferry-worker`. */
  family?: string;
  /** The container's program (its entry point) and arguments. */
  command: string;
  args?: string[];
  /** The container's whole environment; the task adds ECS_AGENT_URI, as the ECS agent does. */
  environment: Record<string, string>;
  /** Seconds from SIGTERM to SIGKILL when a task is stopped. ECS: 30 by default, at most 120. */
  stopTimeoutS?: number;
  /** CPU units reserved per task (1024 = one vCPU): what CPUUtilization is measured against. */
  cpu?: number;
  /** Memory reserved per task, MiB: what MemoryUtilization is measured against. */
  memoryMiB?: number;
}

export type ResolvedTaskDefinition = Required<EcsTaskDefinition>;

export function resolveTaskDefinition(definition: EcsTaskDefinition): ResolvedTaskDefinition {
  const resolved = {
    family: 'ferry-worker',
    args: [],
    stopTimeoutS: 30,
    cpu: 1024,
    memoryMiB: 2048,
    ...definition,
  };
  if (!Number.isInteger(resolved.stopTimeoutS) || resolved.stopTimeoutS < 0 || resolved.stopTimeoutS > 120)
    throw new RangeError('stopTimeoutS: expected a whole number of seconds from 0 to 120');
  if (!(resolved.cpu > 0) || !(resolved.memoryMiB > 0))
    throw new RangeError('cpu and memoryMiB: expected positive sizes');
  return resolved;
}
