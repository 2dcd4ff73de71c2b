import { describe, expect, it } from 'vitest';
import { applyMetadataOverlay } from '../../../shared/metadata/metadata-overlay.ts';
import type { MetadataTexts } from '../../../shared/metadata/validate-metadata.ts';

const base: MetadataTexts = {
  systems: JSON.stringify([
    { id: 'NSC01', type: 'nightscout', schedule: '*/5 * * * *', connection: { base_url: 'https://ns.example', api: 'auto', collections: ['entries', 'treatments'] } },
    { id: 'TST01', type: 'jsonfile', connection: { path: 'x' } },
  ]),
  entities: '[]',
  actions: undefined,
};

function systemsAfter(patches: unknown[]): unknown {
  const result = applyMetadataOverlay(base, { systems: JSON.stringify(patches), entities: undefined, actions: undefined });
  expect(result.issues).toEqual([]);
  return JSON.parse(result.texts.systems ?? 'null');
}

describe('applyMetadataOverlay', () => {
  const nightscout = { id: 'NSC01', type: 'nightscout', schedule: '*/5 * * * *', connection: { base_url: 'https://ns.example', api: 'auto', collections: ['entries', 'treatments'] } };
  it.each([
    // an object merges field by field; the record's other fields stay
    [{ id: 'NSC01', connection: { base_url: 'http://10.62.0.1:1337' } }, { ...nightscout, connection: { ...nightscout.connection, base_url: 'http://10.62.0.1:1337' } }],
    // an array is replaced, not merged
    [{ id: 'NSC01', connection: { collections: ['entries'] } }, { ...nightscout, connection: { ...nightscout.connection, collections: ['entries'] } }],
    // null removes a field (RFC 7386)
    [{ id: 'NSC01', schedule: null }, { id: 'NSC01', type: 'nightscout', connection: nightscout.connection }],
    // a new field is added
    [{ id: 'NSC01', enabled: false }, { ...nightscout, enabled: false }],
  ])('patches NSC01 with %j', (patch, expected) => {
    expect(systemsAfter([patch])).toEqual([expected, { id: 'TST01', type: 'jsonfile', connection: { path: 'x' } }]);
  });

  it('leaves files the overlay does not have as they are, byte for byte', () => {
    const result = applyMetadataOverlay(base, { systems: undefined, entities: undefined, actions: '[]' });
    expect(result).toEqual({ texts: base, issues: [] });
  });

  it('reports an id the folder does not have, and an overlay file that is not an array of records with ids', () => {
    const result = applyMetadataOverlay(base, { systems: '[{"id": "BNQ01", "enabled": false}]', entities: '{"id": "x"}', actions: '[{"id": 1}' });
    expect(result.issues).toEqual([
      'overlay systems.json › BNQ01: systems.json has no record with this id',
      'overlay entities.json: expected a JSON array of objects, each with the "id" of the record it changes',
      'overlay actions.json: not JSON',
    ]);
  });
});
