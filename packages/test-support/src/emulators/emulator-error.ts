export type EmulatorErrorCode = 'EMULATOR_BAD_INPUT' | 'EMULATOR_NOT_FOUND' | 'EMULATOR_CONFLICT';

/** Misuse of an emulator's programmatic surface by a test (never sent over HTTP). */
export class EmulatorError extends Error {
  readonly code: EmulatorErrorCode;

  constructor(code: EmulatorErrorCode, message: string) {
    super(message);
    this.name = 'EmulatorError';
    this.code = code;
  }
}
