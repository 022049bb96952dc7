// `@ferry/shared/telemetry`: what an entry point imports before anything else. Kept apart from the
// package's main entry, which loads ioredis and BullMQ: those must load after the SDK has started.
export { startTelemetry, type Telemetry, type TracedService } from './start-telemetry.ts';
