import { describe, expect, it } from 'vitest';
import {
  doesSubscriptionMatch,
  isEventEmitted,
  matchActions,
  type EventFacts,
  type Subscriber,
  type Subscription,
} from '../../../shared/core/event-match.ts';

const entityEvent: EventFacts = {
  event: 'entity-layer-processed',
  system_id: 'TST01',
  entity_id: 'test_customer',
  layer: 'bronze',
  status: 'failed',
};
const systemEvent: EventFacts = { event: 'system-layer-processed', system_id: 'TST01', layer: 'silver', status: 'succeeded' };

describe('doesSubscriptionMatch', () => {
  it.each<[string, Subscription, EventFacts, boolean]>([
    // rule: the event name must be the same
    ['matches the event name alone', { event: 'entity-layer-processed' }, entityEvent, true],
    ['refuses another event name', { event: 'system-layer-processed' }, entityEvent, false],
    // rule: a system filter compares the system id
    ['matches its system', { event: 'entity-layer-processed', system_id: 'TST01' }, entityEvent, true],
    ['refuses another system', { event: 'entity-layer-processed', system_id: 'NSC01' }, entityEvent, false],
    // rule: an entity filter compares the entity id, and never matches a system event
    ['matches its entity', { event: 'entity-layer-processed', entity_id: 'test_customer' }, entityEvent, true],
    ['refuses another entity', { event: 'entity-layer-processed', entity_id: 'test_order' }, entityEvent, false],
    ['refuses a system event when filtering on an entity', { event: 'system-layer-processed', entity_id: 'test_customer' }, systemEvent, false],
    // rule: layers and statuses are lists; the event's value must be in them
    ['matches a listed layer', { event: 'entity-layer-processed', layers: ['landing', 'bronze'] }, entityEvent, true],
    ['refuses an unlisted layer', { event: 'entity-layer-processed', layers: ['silver', 'gold'] }, entityEvent, false],
    ['matches a listed status', { event: 'entity-layer-processed', statuses: ['failed'] }, entityEvent, true],
    ['refuses an unlisted status', { event: 'entity-layer-processed', statuses: ['succeeded', 'skipped'] }, entityEvent, false],
    // rule: every given filter must hold
    [
      'matches when all filters hold',
      { event: 'system-layer-processed', system_id: 'TST01', layers: ['silver'], statuses: ['succeeded'] },
      systemEvent,
      true,
    ],
    [
      'refuses when one filter of several fails',
      { event: 'system-layer-processed', system_id: 'TST01', layers: ['silver'], statuses: ['failed'] },
      systemEvent,
      false,
    ],
  ])('%s', (_rule, on, event, expected) => {
    expect(doesSubscriptionMatch(on, event)).toBe(expected);
  });
});

describe('isEventEmitted', () => {
  it.each<[string, EventFacts, Parameters<typeof isEventEmitted>[1], boolean]>([
    ['emits an entity event the entity lists', entityEvent, { entityEvents: ['entity-layer-processed'] }, true],
    ['does not emit an entity event the entity does not list', entityEvent, { entityEvents: [] }, false],
    ['ignores the system setting for an entity event', entityEvent, { systemEvents: ['system-layer-processed'] }, false],
    ['emits a system event the system lists', systemEvent, { systemEvents: ['system-layer-processed'] }, true],
    ['does not emit a system event the system does not list', systemEvent, { systemEvents: [], entityEvents: ['entity-layer-processed'] }, false],
    ['emits nothing for an unknown source', systemEvent, {}, false],
  ])('%s', (_rule, event, sources, expected) => {
    expect(isEventEmitted(event, sources)).toBe(expected);
  });
});

describe('matchActions', () => {
  const actions: Subscriber[] = [
    { id: 'log_failures', enabled: true, on: { event: 'entity-layer-processed', statuses: ['failed'] } },
    { id: 'log_all_entities', enabled: true, on: { event: 'entity-layer-processed' } },
    { id: 'disabled_failures', enabled: false, on: { event: 'entity-layer-processed', statuses: ['failed'] } },
    { id: 'silver_done', enabled: true, on: { event: 'system-layer-processed', layers: ['silver'] } },
  ];

  it('returns the enabled matching actions in metadata order', () => {
    const matched = matchActions(entityEvent, actions, { entityEvents: ['entity-layer-processed'] });
    expect(matched.map((action) => action.id)).toEqual(['log_failures', 'log_all_entities']);
  });

  it('returns nothing when the entity does not emit the event', () => {
    expect(matchActions(entityEvent, actions, { entityEvents: [] })).toEqual([]);
  });

  it('matches a system event against the system’s setting', () => {
    const matched = matchActions(systemEvent, actions, { systemEvents: ['system-layer-processed'] });
    expect(matched.map((action) => action.id)).toEqual(['silver_done']);
  });
});
