/**
 * Stands in for `pg/lib/stream.js` in function bundles (`dev/build.ts` replaces the file with this one). The original
 * picks Node's sockets or Cloudflare's at load: on Node 20 (no `navigator`) it probes with `new Response(…)`, which
 * loads Node's whole fetch implementation (undici, ~40 ms of every cold start) for nothing. These are its Node
 * functions, unchanged.
 */
import { Socket } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** A plain socket for pg's connection to connect. */
export function getStream(): Socket {
  return new Socket();
}

/** A TLS socket over pg's connected one (`options.socket`), when the server agreed to SSL. */
export function getSecureStream(options: ConnectionOptions): TLSSocket {
  return connect(options);
}
