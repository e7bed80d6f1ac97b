/**
 * The pure-JS libraries the text engines use, loaded on first use instead of at start-up:
 * compromise alone takes about a third of a second to load, which `prechew tools`, `--version`
 * and an MCP `initialize` should not pay. Loaded synchronously (their CommonJS builds through
 * `require`) so the engines that call them stay synchronous; every caller goes through these
 * getters, so each library is loaded once, in one format.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Compromise = typeof import('compromise').default;
type PhoneLib = typeof import('libphonenumber-js');

let compromise: Compromise | undefined;
let phoneLib: PhoneLib | undefined;

/** compromise's `nlp` function. */
export function nlp(): Compromise {
  return (compromise ??= require('compromise') as Compromise);
}

/** libphonenumber-js (its default metadata). */
export function phones(): PhoneLib {
  return (phoneLib ??= require('libphonenumber-js') as PhoneLib);
}
