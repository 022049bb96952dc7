import { envBoolean, envInt } from '@ferry/shared';
import { z } from 'zod';

/** The worker's lifecycle settings: stall detection and the EC2 Spot interruption watcher. */
export const LifecycleEnvFields = {
  /**
   * BullMQ's job lock and stalled-job check interval. A worker that dies without a word (SIGKILL, OOM,
   * a vanished host) holds its jobs until the lock runs out; another worker's stall check then puts
   * them back, so they resume from their checkpoints within about 1-3x this. Locks are renewed every
   * quarter of it, so an event loop blocked for longer than half of it risks a false stall.
   */
  JOB_LOCK_MS: envInt(30_000, 2_000, 600_000),
  /** Poll the EC2 instance metadata service for a Spot interruption notice and drain on one. */
  SPOT_WATCH: envBoolean(false),
  /** Instance metadata service base URL (an emulator or proxy in tests). Not subject to the SSRF guard. */
  IMDS_URL: z
    .string()
    .refine((v) => URL.canParse(v) && new URL(v).protocol === 'http:', {
      message: 'expected a URL starting with http://',
    })
    .default('http://169.254.169.254'),
  /** How often the Spot watcher polls; AWS gives 2 minutes' notice and suggests every 5 s. */
  SPOT_POLL_MS: envInt(5_000, 100, 60_000),
  /**
   * Set by ECS in every task (and by the local autoscaler for the workers it runs): the agent
   * endpoint where the worker turns scale-in protection on while it holds imports.
   */
  ECS_AGENT_URI: z
    .string()
    .refine((v) => URL.canParse(v) && new URL(v).protocol === 'http:', {
      message: 'expected a URL starting with http://',
    })
    .optional(),
};
