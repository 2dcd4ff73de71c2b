/**
 * Stands in for the `whatwg-url` package in function bundles (`dev/build.ts` aliases it here). Its only user is the
 * MongoDB driver's connection-string parser (`mongodb-connection-string-url`), which needs `URL` and
 * `URLSearchParams` classes it can extend; Node's own are WHATWG URL too. The package's pure-JS parser and its
 * Unicode tables (tr46) are ~280 kB of every bundle and a good part of its start.
 */

/** Node's WHATWG `URL` class. */
export const URL = globalThis.URL;

/** Node's WHATWG `URLSearchParams` class. */
export const URLSearchParams = globalThis.URLSearchParams;
