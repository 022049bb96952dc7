// The API process: `node services/api/src/main.ts`, configured by the environment. Tracing starts
// first, before the API's modules (and ioredis, node:http) load, so the instrumentations see them.
import { startTelemetry } from '@ferry/shared/telemetry';

const telemetry = await startTelemetry('api');
const { serve } = await import('./serve.ts');
await serve(telemetry);
