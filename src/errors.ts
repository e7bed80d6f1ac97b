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
  | 'DISK_FULL'
  | 'PRIVACY_BLOCKED'
  | 'PEER_REFUSED'
  | 'INTERNAL';

export class PrechewError extends Error {
  readonly code: ErrorCode;
  /** Extra, safe-to-show detail for structured output (never secrets or contents). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(capMessage(message), options);
    this.name = 'PrechewError';
    this.code = code;
    this.details = details;
  }
}

/** Longest echo of caller input inside an error message; more is cut in the middle. */
export const MAX_ECHO_CHARS = 200;
/** Longest error message: a message that echoes input is cut so a 1 MB argument never comes back whole. */
export const MAX_MESSAGE_CHARS = 2000;

function cutMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const keep = Math.max(0, max - 40);
  const head = Math.ceil(keep * 0.75);
  return `${text.slice(0, head)}…[${text.length - keep} characters cut]…${text.slice(text.length - (keep - head))}`;
}

/** Quote caller input (a path, a cursor, a name) for an error message, shortened when long. */
export function quoteInput(value: string, max = MAX_ECHO_CHARS): string {
  return cutMiddle(value, max);
}

function capMessage(message: string): string {
  return cutMiddle(message, MAX_MESSAGE_CHARS);
}

/** True for the errors a full disk produces: ENOSPC/EDQUOT from the OS, SQLITE_FULL from SQLite. */
export function isDiskFullError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
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
    case 'PRIVACY_BLOCKED':
      return 422;
    case 'CANCELLED':
      return 499;
    case 'TIMEOUT':
      return 504;
    case 'PROVIDER_ERROR':
      return 502;
    case 'ENGINE_UNAVAILABLE':
    case 'MISSING_API_KEY':
    case 'DISK_FULL':
      return 503;
    default:
      return 500;
  }
}
