import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError } from '../../shared/errors.ts';

/** The request went away before its body was complete: there is nobody left to answer. */
export class RequestAbortedError extends Error {
  constructor() {
    super('request aborted before its body was complete');
    this.name = 'RequestAbortedError';
  }
}

/**
 * Reads a request body into one Buffer, refusing it with `PayloadTooLargeError` as soon as it passes `limit`
 * bytes: up front when `content-length` says so, else at the first chunk over the limit. Nothing past the
 * limit is kept in memory; the caller answers 413 and node discards the rest of the upload.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(tooLarge(`${declared} bytes`, limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      request.off('error', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        stop();
        chunks.length = 0;
        reject(tooLarge(`more than ${limit} bytes`, limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = (): void => {
      stop();
      reject(new RequestAbortedError());
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onClose);
    request.on('error', onClose);
  });
}

function tooLarge(actual: string, limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`request body of ${actual} is over the limit of ${limit} bytes (MAX_BODY_BYTES)`);
}
