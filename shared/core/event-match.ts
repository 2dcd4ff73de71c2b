/**
 * Which actions a platform event starts. Pure: the metadata comes in as plain records (the shapes of
 * `actions.json`, `systems.json` and `entities.json`), the answer is the list of actions to call.
 */

/** The platform events, in `actions.json` spelling. */
export type PlatformEventName = 'entity-layer-processed' | 'system-layer-processed';

/** What the matcher needs to know about an event (the payload carries more: counts, run id, batch). */
export interface EventFacts {
  readonly event: PlatformEventName;
  readonly system_id: string;
  /** Set for `entity-layer-processed`; absent (or null) for `system-layer-processed`. */
  readonly entity_id?: string | null | undefined;
  readonly layer: string;
  readonly status: string;
}

/** An action's `on`: the event name, and filters that are absent when any value matches. */
export interface Subscription {
  readonly event: PlatformEventName;
  readonly system_id?: string | undefined;
  readonly entity_id?: string | undefined;
  readonly layers?: readonly string[] | undefined;
  readonly statuses?: readonly string[] | undefined;
}

/** An action as far as matching goes. */
export interface Subscriber {
  readonly id: string;
  readonly enabled: boolean;
  readonly on: Subscription;
}

/**
 * Which events the event's source is configured to emit: the system's `events` (for `system-layer-processed`) and
 * the entity's `events` (for `entity-layer-processed`). An unknown entity or system emits nothing.
 */
export interface EventSources {
  readonly systemEvents?: readonly string[] | undefined;
  readonly entityEvents?: readonly string[] | undefined;
}

/**
 * Whether a subscription covers an event: same event name, and every filter that is given holds. A filter on
 * `entity_id` never matches a `system-layer-processed` event, which concerns no single entity.
 */
export function doesSubscriptionMatch(on: Subscription, event: EventFacts): boolean {
  if (on.event !== event.event) return false;
  if (on.system_id !== undefined && on.system_id !== event.system_id) return false;
  if (on.entity_id !== undefined && on.entity_id !== event.entity_id) return false;
  if (on.layers !== undefined && !on.layers.includes(event.layer)) return false;
  if (on.statuses !== undefined && !on.statuses.includes(event.status)) return false;
  return true;
}

/** Whether the event's entity (or system, for `system-layer-processed`) lists it in its `events` setting. */
export function isEventEmitted(event: EventFacts, sources: EventSources): boolean {
  const emitted = event.event === 'entity-layer-processed' ? sources.entityEvents : sources.systemEvents;
  return emitted?.includes(event.event) ?? false;
}

/**
 * The enabled actions subscribed to an event that its source emits, in metadata order; none when the entity or
 * system does not emit the event.
 *
 * @example
 * matchActions(
 *   { event: 'entity-layer-processed', system_id: 'TST01', entity_id: 'test_customer', layer: 'bronze', status: 'failed' },
 *   actions,
 *   { entityEvents: ['entity-layer-processed'] },
 * ) // → the actions with `on: { event: 'entity-layer-processed', statuses: ['failed'] }`, …
 */
export function matchActions<Action extends Subscriber>(
  event: EventFacts,
  actions: readonly Action[],
  sources: EventSources,
): Action[] {
  if (!isEventEmitted(event, sources)) return [];
  return actions.filter((action) => action.enabled && doesSubscriptionMatch(action.on, event));
}
