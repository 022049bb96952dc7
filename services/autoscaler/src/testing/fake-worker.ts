/**
 * A stand-in for `ferry worker` in the local pool's tests, run as a real process: it logs `worker
 * ready` as the worker does (after FAKE_READY_MS), turns its task scale-in protection on at SIGUSR2
 * and off at SIGUSR1 through ECS_AGENT_URI, as the worker does when it takes and finishes imports,
 * and on SIGTERM "drains" for FAKE_DRAIN_MS before it exits 0. FAKE_CRASH=1 dies before it is ready.
 */
const agentUri = process.env.ECS_AGENT_URI ?? '';
const readyMs = Number(process.env.FAKE_READY_MS ?? 0);
const drainMs = Number(process.env.FAKE_DRAIN_MS ?? 50);

const log = (msg: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ level: 30, pid: process.pid, msg, ...fields })}\n`);
};

const protect = async (enabled: boolean): Promise<void> => {
  const body = enabled ? { ProtectionEnabled: true, ExpiresInMinutes: 5 } : { ProtectionEnabled: false };
  const response = await fetch(`${agentUri}/task-protection/v1/state`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  log('task protection set', { enabled, status: response.status, answer: await response.json() });
};

process.on('SIGUSR2', () => void protect(true));
process.on('SIGUSR1', () => void protect(false));
process.on('SIGTERM', () => {
  log('draining');
  setTimeout(() => process.exit(0), drainMs);
});
const keepAlive = setInterval(() => {}, 60_000);
setTimeout(() => {
  if (process.env.FAKE_CRASH === '1') {
    clearInterval(keepAlive);
    process.stderr.write('Error: fake crash before ready\n');
    process.exit(3);
  }
  log('worker ready');
  // A debug line: passed on only when the autoscaler logs at debug.
  process.stdout.write(`${JSON.stringify({ level: 20, msg: 'fake debug line' })}\n`);
}, readyMs);
