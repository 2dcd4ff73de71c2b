import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../../shared/log.ts';
import type { Delivery } from './async-queue.ts';
import { forwardableHeaders, type HeaderValues } from './call-id.ts';

/** The user agent of the CE queue-worker's replayed call. */
export const QUEUE_WORKER_USER_AGENT = 'openfaas-ce/nats-queue-worker';

/** Go's default user agent, which the CE worker's callback request carries. */
export const GO_USER_AGENT = 'Go-http-client/1.1';

/** An accepted async call, as the gateway publishes it (the fields of faas-provider's `QueueRequest`). */
export interface QueuedCall {
  /** The function as the caller wrote it (`name` or `name.ns`); `X-Function-Name` repeats it. */
  readonly function: string;
  /** The function's own path (`/` or `/sub/path`) and raw query. */
  readonly path: string;
  readonly query: string;
  /** Every request header, including `X-Call-Id`, `X-Start-Time` and `X-Callback-Url`. */
  readonly headers: HeaderValues;
  readonly body: Buffer;
  readonly callId: string;
  readonly callbackUrl: string | undefined;
  /** When the gateway accepted it (ISO time), for the queue state. */
  readonly queuedAt: string;
}

/** The sync call's outcome the callback reports. */
interface CallOutcome {
  readonly status: number;
  readonly headers: HeaderValues;
  readonly body: Buffer;
}

/** What the worker needs: where the gateway's sync route is, and a logger. */
export interface QueueWorkerDeps {
  /** Base URL of the gateway (`http://127.0.0.1:8080`): the worker calls the sync route, like the CE one. */
  readonly gatewayUrl: string;
  readonly log: Logger;
}

/**
 * Delivers one queued call the way the CE queue-worker does: `POST {gateway}/function/{function}{path}?{query}`
 * with every stored header and `User-Agent: openfaas-ce/nats-queue-worker`, then — for every outcome, 4xx/5xx
 * included — one callback POST to `X-Callback-Url` with the function's body and headers plus
 * `X-Function-Status`, `X-Function-Name`, `X-Duration-Seconds` and `X-Call-Id`. Nothing is retried.
 */
export function createQueueWorker(deps: QueueWorkerDeps): (call: QueuedCall, delivery: Delivery) => Promise<void> {
  return async (call, delivery) => {
    const log = deps.log.child({ function: call.function, call_id: call.callId, attempt: delivery.attempt });
    const started = performance.now();
    const target = new URL(`/function/${call.function}${call.path}${call.query === '' ? '' : `?${call.query}`}`, deps.gatewayUrl);
    const headers: HeaderValues = { ...call.headers, 'user-agent': [QUEUE_WORKER_USER_AGENT] };
    let outcome: CallOutcome;
    try {
      outcome = await send(target, headers, call.body);
    } catch (error) {
      // The CE worker reports an unreachable gateway to the callback as 503 with an empty body.
      log.error({ err: error }, 'async call could not reach the gateway');
      outcome = { status: 503, headers: {}, body: Buffer.alloc(0) };
    }
    const seconds = (performance.now() - started) / 1000;
    log.info({ status: outcome.status, duration_s: Number(seconds.toFixed(6)), redelivered: delivery.redelivered }, 'async call finished');
    if (call.callbackUrl === undefined) return;

    const callbackHeaders: HeaderValues = {
      ...forwardableHeaders(flatten(outcome.headers), ['content-length', 'date']),
      'user-agent': [GO_USER_AGENT],
      'x-duration-seconds': [seconds.toFixed(6)],
      'x-function-status': [String(outcome.status)],
      'x-function-name': [call.function],
      'x-call-id': [call.callId],
    };
    try {
      const answer = await send(new URL(call.callbackUrl), callbackHeaders, outcome.body);
      log.info({ callback_status: answer.status }, 'async callback delivered');
    } catch (error) {
      log.warn({ err: error }, 'async callback failed');
    }
  };
}

/** Back to `rawHeaders` form, so the header filter can be shared. */
function flatten(headers: HeaderValues): string[] {
  return Object.entries(headers).flatMap(([name, values]) => values.flatMap((value) => [name, value]));
}

/** One POST without keep-alive (the CE worker's client), resolving with the whole answer. */
function send(url: URL, headers: HeaderValues, body: Buffer): Promise<CallOutcome> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent: false,
      headers: { ...headers, 'content-length': String(body.length) },
    });
    request.on('response', (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () =>
        resolve({ status: answer.statusCode ?? 0, headers: forwardableHeaders(answer.rawHeaders), body: Buffer.concat(chunks) }),
      );
      answer.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}
