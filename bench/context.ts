import type { SourceServer } from './parties.ts';

/** What every scenario gets from the orchestrator. */
export interface BenchContext {
  redisUrl: string;
  source: SourceServer;
  /** Generated source files and sink storage live here ($TMPDIR/ferry-bench). */
  tmpDir: string;
  /** Extra worker environment from --worker-env, applied to every worker of the run. */
  workerEnv: Record<string, string>;
  /** Unique per run, so queues and object keys never collide with another run's leftovers. */
  runId: string;
  rclone: boolean;
  log(line: string): void;
}
