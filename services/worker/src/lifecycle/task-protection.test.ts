import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@ferry/shared';
import { logCapture } from '@ferry/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EcsAgentStandIn, startEcsAgentStandIn } from '../testing/ecs-agent-stand-in.ts';
import { startTaskProtection, type TaskProtection, type TaskProtectionOptions } from './task-protection.ts';

function captureLogger() {
  const { stream, lines } = logCapture();
  return { logger: createLogger('worker', 'debug', stream), lines };
}

describe('ECS task scale-in protection (against a local stand-in of the agent endpoint)', () => {
  let agent: EcsAgentStandIn;
  const started: TaskProtection[] = [];

  const protect = (options: Partial<TaskProtectionOptions> = {}) => {
    const { logger, lines } = captureLogger();
    const protection = startTaskProtection({
      agentUri: agent.url,
      logger,
      releaseDelayMs: 100,
      retryDelayMs: 20,
      ...options,
    });
    started.push(protection);
    return { protection, lines };
  };
  const puts = () => agent.requests.filter((r) => r.method === 'PUT');

  beforeEach(async () => {
    agent = await startEcsAgentStandIn();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((protection) => protection.close()));
    await agent.close();
  });

  it('protects the task when the first import starts and releases it once idle for the delay', async () => {
    const { protection } = protect({ expiresInMinutes: 30 });
    protection.busy(0); // idle at start: nothing to say
    await sleep(50);
    expect(puts()).toEqual([]);

    protection.busy(1);
    await expect.poll(() => agent.protectionEnabled()).toBe(true);
    protection.busy(2);
    protection.busy(1);
    expect(puts()).toEqual([
      {
        method: 'PUT',
        path: '/task-protection/v1/state',
        body: { ProtectionEnabled: true, ExpiresInMinutes: 30 },
        status: 200,
      },
    ]);

    protection.busy(0);
    await expect.poll(() => agent.protectionEnabled()).toBe(false);
    expect(puts().map((r) => r.body)).toEqual([
      { ProtectionEnabled: true, ExpiresInMinutes: 30 },
      { ProtectionEnabled: false },
    ]);
  });

  it('keeps protection through a short idle gap between imports (debounced)', async () => {
    const { protection } = protect({ releaseDelayMs: 1000 });
    protection.busy(1);
    await expect.poll(() => agent.protectionEnabled()).toBe(true);
    protection.busy(0);
    await sleep(50);
    protection.busy(1);
    await sleep(1100); // past the release the idle moment had scheduled
    expect(agent.protectionEnabled()).toBe(true);
    expect(puts()).toHaveLength(1);
  });

  it('renews protection before it lapses while the worker stays busy', async () => {
    const { protection } = protect({ renewAfterMs: 60 });
    protection.busy(3);
    await expect.poll(() => puts().length).toBeGreaterThanOrEqual(3);
    expect(puts().every((r) => (r.body as { ProtectionEnabled: boolean }).ProtectionEnabled)).toBe(true);
  });

  it('retries a throttled or refused request, logging once per outage, and never throws', async () => {
    agent.answerWith('throttled');
    const { protection, lines } = protect();
    protection.busy(1);
    await expect.poll(() => puts().length).toBeGreaterThanOrEqual(3);
    agent.answerWith('failure');
    await expect.poll(() => puts().filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(agent.protectionEnabled()).toBe(false);
    agent.answerWith('ok');
    await expect.poll(() => agent.protectionEnabled()).toBe(true);

    const warnings = lines.filter((l) => l.msg === 'cannot set task protection');
    expect(warnings).toHaveLength(1);
    expect(lines.some((l) => l.msg === 'task protection: the ECS agent answers again')).toBe(true);
  });

  it('turns protection off after a failed release even though it cannot tell whether the agent applied it', async () => {
    const { protection } = protect();
    protection.busy(1);
    await expect.poll(() => agent.protectionEnabled()).toBe(true);
    agent.answerWith('throttled');
    protection.busy(0);
    await expect.poll(() => puts().filter((r) => r.status === 500).length).toBeGreaterThanOrEqual(1);
    agent.answerWith('ok');
    await expect.poll(() => agent.protectionEnabled()).toBe(false);
  });

  it('keeps trying quietly when the agent does not answer, and closes promptly', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const { protection, lines } = protect({ agentUri: `http://127.0.0.1:${closedPort}/` });
    protection.busy(1);
    await sleep(300);
    expect(lines.filter((l) => l.msg === 'cannot set task protection')).toHaveLength(1);
    const started = Date.now();
    await protection.close();
    expect(Date.now() - started).toBeLessThan(1000);
    protection.busy(2); // after close: ignored, no throw
  });
});
