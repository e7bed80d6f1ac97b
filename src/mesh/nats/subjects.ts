/**
 * Names on the NATS side of the mesh: one work stream with a subject per unit kind, one results
 * stream with a subject per requester, a key-request subject per requester, a node registry
 * (KV) and a payload bucket (Object Store). Node tokens in subjects come from the node's
 * fingerprint, so every node's own subjects can be granted to it and to no one else.
 */
export const WORK_STREAM = 'PRECHEW_WORK';
export const RESULTS_STREAM = 'PRECHEW_RESULTS';
export const REGISTRY_BUCKET = 'prechew-nodes';
export const PAYLOAD_BUCKET = 'prechew-payloads';

/** The hub's JetStream domain: nodes behind a leaf hub reach the central JetStream through it. */
export const JS_DOMAIN = 'prechew';

export const WORK_PREFIX = 'prechew.work';
export const RESULT_PREFIX = 'prechew.result';
export const KEY_PREFIX = 'prechew.key';

/** A node's token in subject and consumer names: its fingerprint without dashes (20 base32 chars). */
export function nodeToken(fingerprint: string): string {
  return fingerprint.replace(/-/g, '');
}

/** Kinds use dots ("whisper.transcribe"); subjects may too, consumer names may not. */
export function workSubject(kind: string): string {
  return `${WORK_PREFIX}.${kind}`;
}

export function workDurable(kind: string): string {
  return `work_${kind.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function resultSubject(token: string): string {
  return `${RESULT_PREFIX}.${token}`;
}

export function resultDurable(token: string): string {
  return `results_${token}`;
}

export function keySubject(token: string): string {
  return `${KEY_PREFIX}.${token}`;
}

/** Replies to a node's requests arrive under its own inbox prefix, readable by it alone. */
export function inboxPrefix(token: string): string {
  return `_INBOX_${token}`;
}
