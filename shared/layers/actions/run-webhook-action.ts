/**
 * The `webhook` action (actions.json `type: "webhook"`): POSTs the event as JSON to the action's URL, signed with
 * HMAC-SHA256 (shared/core/webhook-signature.ts), through the platform's HTTP client (a deadline per attempt, bounded
 * retries with backoff, no redirects).
 */
import { createHttpClient } from '../../adapters/http/http-client.ts';
import { DELIVERY_HEADER, signWebhookBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../core/webhook-signature.ts';
import { isSecretRef } from '../../secrets/secret-ref.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import type { ActionRequest } from '../../runtime/payloads.ts';
import { findAction, runAction, type ActionDeps } from './run-action.ts';

/** Longer than action-webhook's exec_timeout (stack.yml): an attempt running this long died with its call. */
const WEBHOOK_TIMEOUT_SECONDS = 60;

/** The JSON a receiver gets. */
export interface WebhookDelivery {
  /** `<action_id>.<event run id>`, also the `X-Dataplatform-Delivery` header: the same for every attempt at one event. */
  readonly delivery_id: string;
  readonly action_id: string;
  readonly event: ActionRequest['event'];
}

/**
 * Delivers one event to the action's URL, once: a second delivery of the event is `skipped`; an answer other than
 * 2xx after the attempts of `max_attempts`, or a redirect, fails the attempt naming the status (the scheduler
 * re-queues it). Only the action's own URL is ever called. When the URL is a secret reference (a webhook id in its
 * path), logs and errors show its path as `[redacted]`.
 *
 * @example
 * await runWebhookAction({ action_id: 'notify_glucose_stats', event }, { db, metadata, loader, log, callId });
 * // POST https://home.lan/api/webhook/… with {"delivery_id":"notify_glucose_stats.0190…","action_id":…,"event":{…}}
 */
export function runWebhookAction(request: ActionRequest, deps: ActionDeps): Promise<Outcome> {
  const urlIsSecret = isSecretRef(findAction(deps.metadata, request.action_id, 'webhook').settings.url);
  return runAction(request, deps, {
    type: 'webhook',
    timeoutSeconds: WEBHOOK_TIMEOUT_SECONDS,
    async perform(action, _run, log) {
      const { settings } = action;
      const url = new URL(settings.url);
      const delivery: WebhookDelivery = { delivery_id: `${action.id}.${request.event.run_id}`, action_id: action.id, event: request.event };
      const body = JSON.stringify(delivery);
      const timestamp = Math.floor(Date.now() / 1000);
      const http = createHttpClient({
        source: `webhook action ${action.id}`,
        baseUrl: url.origin,
        log,
        headers: settings.headers,
        timeoutMs: settings.timeout_ms,
        retry: { maxAttempts: settings.max_attempts, baseDelayMs: 500, maxDelayMs: 4_000, maxRetryAfterMs: 5_000 },
        ...(urlIsSecret ? { secretPathValues: [url.pathname.slice(1)], secretQueryParams: [...url.searchParams.keys()] } : {}),
      });
      const answer = await http.request({
        method: 'POST',
        path: `${url.pathname}${url.search}`,
        body,
        headers: {
          'content-type': 'application/json',
          [DELIVERY_HEADER]: delivery.delivery_id,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhookBody(settings.secret, timestamp, body),
        },
        // The delivery id lets the receiver drop a repeat, so a lost answer may be sent again.
        idempotent: true,
        responseType: 'text',
      });
      return { delivery_id: delivery.delivery_id, http_status: answer.status };
    },
  });
}
