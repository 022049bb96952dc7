import { Counter, Gauge, Registry } from 'prom-client';
import type { TickRecord } from '../loop/control-loop.ts';

export interface AutoscalerMetrics {
  registry: Registry;
  /** Brings every gauge up to date with a tick. */
  record(tick: TickRecord): void;
}

const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayedDue', 'unfed'] as const;

/**
 * Prometheus metrics of the same facts as /status, on a registry of the autoscaler's own (not
 * prom-client's global one), so several can live in one process.
 */
export function createMetrics(): AutoscalerMetrics {
  const registry = new Registry();
  const registers = [registry];
  const workers = new Gauge({
    name: 'ferry_autoscaler_workers',
    help: 'Workers by kind: current (running), pending (starting) and desired (the last decision)',
    labelNames: ['kind'] as const,
    registers,
  });
  const jobs = new Gauge({
    name: 'ferry_autoscaler_queue_jobs',
    help: 'Backlog per queue as the autoscaler last read it: waiting, prioritized, active, delayed and due, unfed',
    labelNames: ['queue', 'state'] as const,
    registers,
  });
  const oldest = new Gauge({
    name: 'ferry_autoscaler_queue_oldest_waiting_seconds',
    help: 'How long the job that has waited longest to start has waited, per queue',
    labelNames: ['queue'] as const,
    registers,
  });
  const sqs = new Gauge({
    name: 'ferry_autoscaler_sqs_messages',
    help: 'Approximate SQS queue depth: visible (waiting) and not visible (in flight)',
    labelNames: ['state'] as const,
    registers,
  });
  const utilisation = new Gauge({
    name: 'ferry_autoscaler_utilization_percent',
    help: 'Fleet average CPU and memory utilisation, when known',
    labelNames: ['resource'] as const,
    registers,
  });
  const ticks = new Counter({
    name: 'ferry_autoscaler_ticks_total',
    help: 'Control loop ticks by outcome: ok, or the error code of a failed tick',
    labelNames: ['outcome'] as const,
    registers,
  });
  const changes = new Counter({
    name: 'ferry_autoscaler_scale_events_total',
    help: 'Changes of the desired worker count, by direction',
    labelNames: ['direction'] as const,
    registers,
  });

  let lastDesired: number | undefined;

  return {
    registry,
    record: (tick) => {
      ticks.inc({ outcome: tick.error?.code ?? 'ok' });
      const { signals, decision } = tick;
      if (decision) {
        workers.set({ kind: 'current' }, decision.current);
        workers.set({ kind: 'desired' }, decision.desired);
        if (lastDesired !== undefined && decision.desired !== lastDesired) {
          changes.inc({ direction: decision.desired > lastDesired ? 'up' : 'down' });
        }
        lastDesired = decision.desired;
      }
      if (!signals) return;
      workers.set({ kind: 'pending' }, signals.pendingWorkers);
      for (const depth of signals.queues) {
        for (const state of QUEUE_STATES) jobs.set({ queue: depth.queue, state }, depth[state]);
        oldest.set({ queue: depth.queue }, depth.oldestWaitingAgeS);
      }
      if (signals.sqs) {
        sqs.set({ state: 'visible' }, signals.sqs.visible);
        sqs.set({ state: 'not_visible' }, signals.sqs.notVisible);
      }
      if (signals.cpuUtilization !== undefined) utilisation.set({ resource: 'cpu' }, signals.cpuUtilization);
      if (signals.memoryUtilization !== undefined) {
        utilisation.set({ resource: 'memory' }, signals.memoryUtilization);
      }
    },
  };
}
