/**
 * Typed errors with a stable string code. The message is written for the caller (a model or a
 * person) and must never contain stack traces, file contents or secrets.
 */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'INPUT_TOO_LARGE'
  | 'NO_ROOTS'
  | 'PATH_OUTSIDE_ROOTS'
  | 'FILE_NOT_FOUND'
  | 'NOT_A_FILE'
  | 'UNSUPPORTED_FORMAT'
  | 'CORRUPT_FILE'
  | 'ENCRYPTED_FILE'
  | 'NEEDS_OCR'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_INVALID'
  | 'ENGINE_UNAVAILABLE'
  | 'ENGINE_FAILED'
  | 'CONFIG_INVALID'
  | 'MISSING_API_KEY'
  | 'PROVIDER_ERROR'
  | 'INVALID_CURSOR'
  | 'NOT_FOUND'
  | 'PEER_REFUSED'
  | 'INTERNAL';

export class PrechewError extends Error {
  readonly code: ErrorCode;
  /** Extra, safe-to-show detail for structured output (never secrets or contents). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PrechewError';
    this.code = code;
    this.details = details;
  }
}

export function isPrechewError(error: unknown): error is PrechewError {
  return error instanceof PrechewError;
}

/** Throws CANCELLED when the signal has fired; call between steps of long work. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
}

/**
 * The one mapping from anything thrown to a message that is safe to show a model or user.
 * Unknown errors become a generic INTERNAL message; the original goes to the log only.
 */
export function toSafeError(error: unknown): PrechewError {
  if (error instanceof PrechewError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
  }
  return new PrechewError(
    'INTERNAL',
    'prechew hit an unexpected internal error while handling this request; the details were logged on the server (stderr). Try again, or report it if it repeats.',
    undefined,
    { cause: error },
  );
}

/** HTTP status for an error code: the one place that decides it. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_INPUT':
    case 'INVALID_CURSOR':
    case 'UNSUPPORTED_FORMAT':
    case 'CORRUPT_FILE':
    case 'ENCRYPTED_FILE':
    case 'NEEDS_OCR':
      return 400;
    case 'NO_ROOTS':
    case 'PATH_OUTSIDE_ROOTS':
    case 'PEER_REFUSED':
      return 403;
    case 'FILE_NOT_FOUND':
    case 'NOT_FOUND':
    case 'MODEL_NOT_FOUND':
      return 404;
    case 'INPUT_TOO_LARGE':
      return 413;
    case 'CANCELLED':
      return 499;
    case 'TIMEOUT':
      return 504;
    case 'PROVIDER_ERROR':
      return 502;
    case 'ENGINE_UNAVAILABLE':
    case 'MISSING_API_KEY':
      return 503;
    default:
      return 500;
  }
}
