// The autoscaler process. Tracing starts first, before the autoscaler's modules (and ioredis,
// node:http) load, so the instrumentations see them.
import { startTelemetry } from '@ferry/shared/telemetry';

const telemetry = await startTelemetry('autoscaler');
const { serve } = await import('./serve.ts');
await serve(telemetry);
