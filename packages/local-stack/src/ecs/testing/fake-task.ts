/**
 * A task process for the stand-in's own tests, far lighter than a worker: says its ECS_AGENT_URI and
 * pid on stdout, then runs until stopped. FAKE_TASK_ON_TERM=ignore makes it outlast SIGTERM (for the
 * SIGKILL after stopTimeout); FAKE_TASK_EXIT_AFTER_MS makes it exit 3 by itself; FAKE_TASK_BUSY_MS
 * keeps it on the CPU that many ms of every 100 (for the utilisation metric).
 */
const say = (msg: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ msg, ...fields })}\n`);
};

process.on('SIGTERM', () => {
  say('SIGTERM');
  if (process.env.FAKE_TASK_ON_TERM !== 'ignore') process.exit(0);
});

const exitAfterMs = Number(process.env.FAKE_TASK_EXIT_AFTER_MS ?? 0);
if (exitAfterMs > 0) setTimeout(() => process.exit(3), exitAfterMs);

const busyMs = Number(process.env.FAKE_TASK_BUSY_MS ?? 0);
setInterval(() => {
  const until = Date.now() + busyMs;
  while (Date.now() < until) {
    // Burning CPU is the point.
  }
}, 100);

say('task started', { agentUri: process.env.ECS_AGENT_URI, pid: process.pid });
