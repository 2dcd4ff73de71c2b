import * as z from 'zod';
import { secretOr } from '../secrets/secret-ref.ts';
import { Identifier, SystemId } from './identifier.ts';

/** The platform events actions subscribe to. */
export const PLATFORM_EVENTS = ['entity-layer-processed', 'system-layer-processed'] as const;
/** An event name as `actions.json` subscribes to it. */
export const PlatformEvent = z.enum(PLATFORM_EVENTS);
export type PlatformEvent = z.infer<typeof PlatformEvent>;

/** The platform's layers, as events and filters name them. */
export const Layer = z.enum(['landing', 'bronze', 'silver', 'gold']);
export type Layer = z.infer<typeof Layer>;

/** The end states a processed event reports. */
export const EventStatus = z.enum(['succeeded', 'failed', 'skipped']);
export type EventStatus = z.infer<typeof EventStatus>;

/** Which events start the action: the event name, and optional filters (absent = any). */
const Subscription = z.strictObject({
  event: PlatformEvent,
  system_id: SystemId.optional(),
  entity_id: Identifier.optional(),
  layers: z.array(Layer).min(1).optional(),
  statuses: z.array(EventStatus).min(1).optional(),
});

const ActionBase = {
  id: Identifier,
  description: z.string().default(''),
  enabled: z.boolean().default(true),
  on: Subscription,
};

/** Writes the event as one log line (the simplest action, and a template for new ones). */
export const LogAction = z.strictObject({
  ...ActionBase,
  type: z.literal('log'),
  settings: z
    .strictObject({
      level: z.enum(['info', 'warn', 'error']).default('info'),
      message: z.string().min(1).default('platform event'),
    })
    .default({ level: 'info', message: 'platform event' }),
});

const HeaderName = z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'expected an HTTP header name (letters, digits, -)' });

/** POSTs the event as JSON to a URL, signed with HMAC-SHA256 of the body when a secret is given. */
export const WebhookAction = z.strictObject({
  ...ActionBase,
  type: z.literal('webhook'),
  settings: z.strictObject({
    url: secretOr(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })),
    /** Key for the `X-Dataplatform-Signature: sha256=<hex>` header. */
    secret: secretOr(z.string().min(16, { error: 'a signing secret has at least 16 characters' })).optional(),
    headers: z.record(HeaderName, secretOr(z.string())).default({}),
    timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
  }),
});

/** One record of `actions.json`; `type` selects the action function and its settings. */
export const Action = z.discriminatedUnion('type', [LogAction, WebhookAction], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected type to be one of "log", "webhook"' : undefined),
});
export type Action = z.infer<typeof Action>;
export type ActionType = Action['type'];
