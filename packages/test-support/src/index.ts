export type { OpenMultipartUpload } from '@ferry/local-stack';
export {
  type EcsService,
  type EcsServiceSpec,
  type EcsStandIn,
  type EcsStandInOptions,
  type EcsTaskDefinition,
  type EcsTaskView,
  startEcsStandIn,
} from '@ferry/local-stack';
export { type ByteRange, parseByteRange } from './emulators/byte-range.ts';
export type { CorruptFault, ResetFault, SlowFault } from './emulators/download-faults.ts';
export * from './emulators/dropbox-emulator.ts';
export type { EmulatorContent, GeneratedContent } from './emulators/emulator-content.ts';
export { DEFAULT_ACCOUNT, type EmulatorControls } from './emulators/emulator-core.ts';
export { EmulatorError, type EmulatorErrorCode } from './emulators/emulator-error.ts';
export * from './emulators/gdrive-emulator.ts';
export type { PauseWindow, RateLimit } from './emulators/rate-limiter.ts';
export type { EmulatorStats, RequestRecord } from './emulators/request-log.ts';
export * from './emulators/webhook-receiver.ts';
export * from './files.ts';
export * from './held-source.ts';
export * from './log-capture.ts';
export * from './otlp-receiver.ts';
export * from './s3-backends.ts';
export * from './services.ts';
