export type AutoscalerMode = 'local' | 'ecs' | 'dry-run';

/** What carries a decision out: the ECS service, a pool of local worker processes, or nothing (dry run). */
export interface Actuator {
  readonly mode: AutoscalerMode;
  /**
   * The worker count in force: the ECS service's desiredCount, the local processes not being stopped,
   * or what a dry run last pretended to apply.
   */
  current(): Promise<number>;
  /** Moves the fleet towards `desired`; idempotent, so the loop applies every decision. */
  apply(desired: number): Promise<void>;
  close(): Promise<void>;
}
