import * as z from 'zod';
import { unknownPlaceholders } from '../core/event-template.ts';
import { secretOr } from '../secrets/secret-ref.ts';
import { Identifier, SystemId } from './identifier.ts';
import { CronSchedule, TimeZone } from './schedule.ts';

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
  /** Also run on this 5-field cron schedule (the scheduler sends an `action-schedule-fired` event), read in `timezone`. */
  schedule: CronSchedule.optional(),
  timezone: TimeZone.default('UTC'),
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

/** The longest a webhook call may spend on its attempts: within action-webhook's exec_timeout (stack.yml). */
export const WEBHOOK_BUDGET_MS = 40_000;

/**
 * POSTs the event as JSON to a URL, signed with HMAC-SHA256 (shared/core/webhook-signature.ts). The URL is only ever
 * this one: never taken from a payload, redirects not followed.
 */
export const WebhookAction = z.strictObject({
  ...ActionBase,
  type: z.literal('webhook'),
  settings: z
    .strictObject({
      url: secretOr(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })),
      /** Key of the `X-Dataplatform-Signature: sha256=<hex>` header. */
      secret: secretOr(z.string().min(16, { error: 'a signing secret has at least 16 characters' })),
      headers: z.record(HeaderName, secretOr(z.string())).default({}),
      /** Deadline of one attempt (connect, send, answer). */
      timeout_ms: z.number().int().min(100).max(30_000).default(10_000),
      /** Attempts within one call, the first included: a 5xx, 429 or lost answer is tried again after a short backoff. */
      max_attempts: z.int().min(1).max(5).default(3),
    })
    .refine((settings) => settings.timeout_ms * settings.max_attempts <= WEBHOOK_BUDGET_MS, {
      error: `timeout_ms × max_attempts must stay within ${WEBHOOK_BUDGET_MS} ms (the function's time)`,
      path: ['timeout_ms'],
    }),
});

/** A subject or body template: text with `{{field}}` placeholders, each one of the event's fields (docs/actions.md). */
const EventTemplate = (maxLength: number) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .superRefine((template, ctx) => {
      for (const name of unknownPlaceholders(template)) {
        ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name}}} (docs/actions.md lists the fields)` });
      }
    });

export const DEFAULT_EMAIL_SUBJECT = '[dataplatform] {{system_id}} {{entity_id}} {{layer}}: {{status}}';
export const DEFAULT_EMAIL_BODY = [
  '{{event}}: {{status}}',
  '',
  'system:    {{system_id}}',
  'entity:    {{entity_id}}',
  'layer:     {{layer}}',
  'batch:     {{batch_id}} ({{batch_timestamp}})',
  'run:       {{run_id}}, finished {{finished_at}}',
  'counts:    {{counts}}',
  'error:     {{error}}',
  '',
  '{{dashboard_link}}',
].join('\n');

/** Sends one email per matching event through an SMTP server, subject and body rendered from the event. */
export const EmailAction = z.strictObject({
  ...ActionBase,
  type: z.literal('email'),
  settings: z.strictObject({
    smtp: z.strictObject({
      /** The server's host name or address, as the function reaches it (never a secret: errors name it). */
      host: z.string().min(1),
      port: z.int().min(1).max(65_535).default(587),
      /** TLS from the first byte (port 465). Otherwise STARTTLS is used when the server offers it. */
      secure: z.boolean().default(false),
      /** Refuse to send unless the connection is upgraded with STARTTLS (a server across the internet). */
      require_tls: z.boolean().default(false),
      username: secretOr(z.string().min(1)).optional(),
      password: secretOr(z.string().min(1)).optional(),
    }),
    from: z.email(),
    to: z.array(z.email()).min(1).max(50),
    subject: EventTemplate(300).default(DEFAULT_EMAIL_SUBJECT),
    body: EventTemplate(20_000).default(DEFAULT_EMAIL_BODY),
    /** The dashboard's URL as the reader opens it (`{{dashboard_link}}` adds `?system_id=`). */
    dashboard_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    /** Deadline of the SMTP conversation (connect, greeting, each command). */
    timeout_ms: z.int().min(1_000).max(30_000).default(10_000),
  })
    .refine((settings) => (settings.smtp.username === undefined) === (settings.smtp.password === undefined), {
      error: 'smtp.username and smtp.password go together',
      path: ['smtp'],
    }),
});

const Horizon = z.int().min(5).max(240).refine((minutes) => minutes % 5 === 0, { error: 'a horizon is a multiple of 5 minutes (the CGM interval)' });

/**
 * Trains the glucose forecast on a Nightscout entity's readings (functions/action-train, Python), tracks it in MLflow,
 * registers a version and moves the `champion` alias when it beats the champion; MLServer serves the champion.
 */
export const TrainAction = z.strictObject({
  ...ActionBase,
  type: z.literal('train'),
  settings: z
    .strictObject({
      /** The registered model in MLflow, its experiment, and the model MLServer serves. */
      model: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, { error: 'expected a snake_case model name' }).default('glucose_forecast'),
      /** The silver entity of CGM readings (model `nightscout_entry`) to learn from. */
      source_entity: Identifier,
      horizons_minutes: z.array(Horizon).min(1).max(6).default([30, 60]),
      /** Readings of the last this many days (before the newest) are read. */
      history_days: z.int().min(2).max(366).default(28),
      /** The last this many days are held out: the new version, persistence and the champion are compared on them. */
      holdout_days: z.int().min(1).max(30).default(2),
      /** Fewer days of usable readings before the held-out window: the training is skipped with the reason. */
      min_training_days: z.number().min(1).max(60).default(3),
      /**
       * An event within this many minutes of the last successful training is skipped (`trained_recently`): a
       * Nightscout batch every 5 minutes would otherwise train every 5 minutes. A schedule's firing always trains.
       */
      min_interval_minutes: z.int().min(0).max(10_080).default(360),
    })
    .refine((settings) => settings.holdout_days + settings.min_training_days <= settings.history_days, {
      error: 'history_days must cover holdout_days and min_training_days',
      path: ['history_days'],
    }),
});

/** One record of `actions.json`; `type` selects the action function and its settings. */
export const Action = z.discriminatedUnion('type', [LogAction, WebhookAction, EmailAction, TrainAction], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected type to be one of "log", "webhook", "email", "train"' : undefined),
});
export type Action = z.infer<typeof Action>;
export type ActionType = Action['type'];
