import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/log.ts';
import { forwardableHeaders, stampCall, stampResponseHeaders } from './call-id.ts';
import type { QueuedCall } from './queue-worker.ts';
import type { FunctionRoute } from './router.ts';
import { sendEmpty, sendText } from './responses.ts';

/** The CE gateway's async body limit (bytes). */
export const MAX_ASYNC_BODY_BYTES = 256_000;

/** What the async route needs: somewhere to publish. */
export interface AsyncRouteDeps {
  enqueue(call: QueuedCall): void;
  readonly log: Logger;
}

/**
 * Checks an `X-Callback-Url`. Stricter than Go's `url.Parse` (which accepts nearly anything): it must be an
 * absolute http(s) URL, because the worker will POST to it.
 */
export function parseCallbackUrl(value: string): { url: string } | { error: string } {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: `unsupported scheme ${url.protocol}` };
    return { url: url.toString() };
  } catch {
    return { error: 'not an absolute URL' };
  }
}

/**
 * The async route `POST /async-function/NAME[.NS][/path]`: reads the body (over 256,000 bytes → 500 with the
 * CE message), validates `X-Callback-Url` (400), queues the call with all its headers and answers 202 with an
 * empty body. Like the real gateway it does not check that the function exists: the worker later gets 404.
 */
export function createAsyncRoute(deps: AsyncRouteDeps): (req: IncomingMessage, res: ServerResponse, route: FunctionRoute) => void {
  return (req, res, route) => {
    const stamp = stampCall(req);
    const answerHeaders = stampResponseHeaders(stamp);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit only the count matters: keep reading (for the message's N) without keeping the bytes.
      if (size <= MAX_ASYNC_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (size > MAX_ASYNC_BODY_BYTES) {
        return sendText(
          res,
          500,
          `Error queuing request: request body too large for OpenFaaS CE (${size} bytes), maximum: ${MAX_ASYNC_BODY_BYTES} bytes`,
          answerHeaders,
        );
      }
      const headers = forwardableHeaders(req.rawHeaders, ['host']);
      const callbackHeader = headers['x-callback-url']?.[0];
      let callbackUrl: string | undefined;
      if (callbackHeader !== undefined && callbackHeader !== '') {
        const parsed = parseCallbackUrl(callbackHeader);
        if ('error' in parsed) {
          return sendText(res, 400, `X-Callback-Url ${callbackHeader} is invalid: ${parsed.error}`, answerHeaders);
        }
        callbackUrl = parsed.url;
      }
      headers['x-call-id'] = [stamp.callId];
      headers['x-start-time'] = [stamp.startTime];
      deps.enqueue({
        function: route.requestedName,
        path: route.path,
        query: route.query,
        headers,
        body: Buffer.concat(chunks),
        callId: stamp.callId,
        callbackUrl,
        queuedAt: new Date().toISOString(),
      });
      deps.log.debug({ function: route.requestedName, call_id: stamp.callId, bytes: size }, 'async call queued');
      sendEmpty(res, 202, answerHeaders);
    });
  };
}
