import { describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { column, type ModelRegistry } from '../../../shared/metadata/model-dsl.ts';
import { MetadataValidationError, requireValidMetadata, validateMetadata } from '../../../shared/metadata/validate-metadata.ts';
import * as z from 'zod';
import { projectRecords, toTexts, withEdit } from './metadata-fixture.ts';

function issuesOf(texts: Parameters<typeof validateMetadata>[0], registry: ModelRegistry = models): string[] {
  const result = validateMetadata(texts, registry);
  return result.ok ? [] : result.issues;
}

describe('validateMetadata', () => {
  it("accepts the project's metadata, with defaults filled in", () => {
    const result = validateMetadata(toTexts(projectRecords()), models);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.metadata.systems.map((system) => system.id)).toEqual(['TST01', 'NSC01', 'BNQ01']);
    const bunq = result.metadata.systems.find((system) => system.id === 'BNQ01');
    expect(bunq?.description).toBe('Monetary accounts and payments from bunq (API v1).');
    const tag = result.metadata.entities.find((entity) => entity.id === 'test_customer_tag');
    expect(tag?.quality.on_uncoercible).toBe('fail');
    expect(result.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('covers every bronze processor in the test system', () => {
    const result = validateMetadata(toTexts(projectRecords()), models);
    if (!result.ok) throw new Error(result.issues.join('\n'));
    const processors = result.metadata.entities
      .filter((entity) => entity.system_id === 'TST01' && entity.kind === 'bronze_silver')
      .map((entity) => (entity.kind === 'bronze_silver' ? entity.processor.name : ''));
    expect(new Set(processors)).toEqual(
      new Set(['as_is', 'drop_nested', 'explode_list', 'explode_scalars', 'explode_map', 'unwrap_type']),
    );
  });

  it('names file, record and path, and says what was expected', () => {
    const texts = withEdit('systems', 'NSC01', (system) => {
      system.schedule = '61 * * * *';
    });
    expect(issuesOf(texts)).toMatchInlineSnapshot(`
      [
        "systems.json › NSC01 › schedule: invalid cron expression "61 * * * *": Constraint error, got value 61 expected range 0-59",
      ]
    `);
  });

  it('reports every problem of every file at once', () => {
    const records = projectRecords();
    const [tst, nsc, bnq] = records.systems;
    if (!tst || !nsc || !bnq) throw new Error('fixture changed');
    tst.timezone = 'Mars/Base';
    nsc.connection = { ...(nsc.connection as object), base_url: 'ftp://example.org', page_size: 0 };
    bnq.color = 'blue';
    delete bnq.name;
    records.entities[0] = { ...records.entities[0], load_type: 'sometimes' };
    records.actions.push({ id: 'Bad-Id', type: 'sms', on: { event: 'entity-layer-processed' } });
    expect(issuesOf(toTexts(records))).toMatchInlineSnapshot(`
      [
        "systems.json › TST01 › timezone: expected an IANA time zone like "Europe/Amsterdam", got "Mars/Base"",
        "systems.json › NSC01 › connection.base_url: expected an http(s) URL",
        "systems.json › NSC01 › connection.page_size: Too small: expected number to be >=1",
        "systems.json › BNQ01 › name: required field is missing (expected string)",
        "systems.json › BNQ01 › color: unknown field",
        "entities.json › test_customer › load_type: expected one of "full"|"delta"",
        "actions.json › Bad-Id › type: expected type to be one of "log", "webhook", "email", "train"",
      ]
    `);
  });

  it('labels a record without an id by its position', () => {
    const records = projectRecords();
    records.systems.push({ name: 'nameless' });
    expect(issuesOf(toTexts(records))).toEqual(['systems.json › [3] › type: expected type to be one of "jsonfile", "nightscout", "bunq"']);
  });

  it('reports invalid JSON with its line and column', () => {
    const texts = { ...toTexts(projectRecords()), actions: '[\n  {"id": "a",}\n]' };
    expect(issuesOf(texts)).toEqual(['actions.json: invalid JSON at line 2, column 14: Expected double-quoted property name']);
  });

  it('never quotes the text around a JSON syntax error (it could hold a secret)', () => {
    const texts = { ...toTexts(projectRecords()), systems: 'hunter2-secret-value' };
    const [issue] = issuesOf(texts);
    expect(issue).toMatch(/^systems\.json: invalid JSON/);
    expect(issue).not.toContain('hunter2');
  });

  it('reports a missing file and a file that is not an array', () => {
    const texts = { ...toTexts(projectRecords()), actions: undefined, systems: '{"id": "NSC01"}' };
    expect(issuesOf(texts)).toEqual(
      expect.arrayContaining(['systems.json: expected a JSON array of records', 'actions.json: file not found']),
    );
  });

  it.each([
    [
      'a duplicate system id',
      () => {
        const records = projectRecords();
        records.systems.push({ ...records.systems[1], name: 'Second Nightscout' });
        return toTexts(records);
      },
      'systems.json › NSC01 › id: duplicate id (also record [1])',
    ],
    [
      'an entity of an unknown system',
      () => withEdit('entities', 'bunq_payment', (entity) => (entity.system_id = 'BNQ02')),
      'entities.json › bunq_payment › system_id: unknown system "BNQ02"',
    ],
    [
      'an unknown model',
      () => withEdit('entities', 'bunq_payment', (entity) => (entity.model = 'bunq_paymnet')),
      'entities.json › bunq_payment › model: unknown model "bunq_paymnet"',
    ],
    [
      'a gold source that is gold',
      () => withEdit('entities', 'bunq_monthly_spending', (entity) => (entity.sources = ['bunq_payment', 'nightscout_daily_glucose'])),
      'entities.json › bunq_monthly_spending › sources[1]: "nightscout_daily_glucose" is a gold entity; gold reads bronze_silver entities',
    ],
    [
      'an unknown gold source',
      () => withEdit('entities', 'bunq_monthly_spending', (entity) => (entity.sources = ['bunq_payments'])),
      'entities.json › bunq_monthly_spending › sources[0]: unknown entity "bunq_payments"',
    ],
    [
      'two entities writing one table',
      () => withEdit('entities', 'test_product', (entity) => (entity.table = 'test_customer')),
      'entities.json › test_product › table: table "test_customer" is also written by entity "test_customer"',
    ],
    [
      'a processor column missing from the model',
      () =>
        withEdit('entities', 'nightscout_profile_store', (entity) => {
          entity.processor = { ...(entity.processor as object), key_column: 'name' };
        }),
      'entities.json › nightscout_profile_store › processor: column "name" is not in model "nightscout_profile_store"',
    ],
    [
      'a child id column missing from the model',
      () =>
        withEdit('entities', 'test_customer_tag', (entity) => {
          entity.processor = { ...(entity.processor as object), id_column: 'tag_id' };
        }),
      'entities.json › test_customer_tag › processor: column "tag_id" is not in model "test_customer_tag"',
    ],
    [
      'a full-load guard ratio above 1',
      () => withEdit('entities', 'test_customer', (entity) => (entity.quality = { full_load_guard: { min_ratio: 2 } })),
      'entities.json › test_customer › quality.full_load_guard.min_ratio: Too big: expected number to be <=1',
    ],
    [
      'a quality column missing from the model',
      () =>
        withEdit('entities', 'bunq_payment', (entity) => {
          entity.quality = { not_null: ['amount'] };
        }),
      'entities.json › bunq_payment › quality: column "amount" is not in model "bunq_payment"',
    ],
    [
      'a tombstone column missing from the model',
      () => withEdit('entities', 'bunq_payment', (entity) => (entity.tombstone = { column: 'is_deleted', equals: true })),
      'entities.json › bunq_payment › tombstone: column "is_deleted" is not in model "bunq_payment"',
    ],
    [
      'a tombstone value its column cannot hold',
      () => withEdit('entities', 'test_customer', (entity) => (entity.tombstone = { column: 'tier', equals: false })),
      'entities.json › test_customer › tombstone: column "tier" is text; it cannot equal the boolean false',
    ],
    [
      'a tombstone told by a key column',
      () => withEdit('entities', 'test_customer', (entity) => (entity.tombstone = { column: 'id', equals: 'gone' })),
      'entities.json › test_customer › tombstone: column "id" is a key column; a tombstone is told by another column',
    ],
    [
      'a look-back on a full load',
      () => withEdit('entities', 'test_customer', (entity) => (entity.lookback = { span: '3d' })),
      'entities.json › test_customer › lookback: lookback is for delta loads (a full load reads the whole set every batch)',
    ],
    [
      'a look-back on a connector that cannot re-read a span',
      () => withEdit('entities', 'bunq_payment', (entity) => (entity.lookback = { span: '3d', every: '1d' })),
      'entities.json › bunq_payment › lookback: the bunq connector of BNQ01 cannot re-read a span; look-back works with nightscout systems (docs/connectors/README.md)',
    ],
    [
      'a duration that is not one',
      () => withEdit('entities', 'nightscout_entry', (entity) => (entity.lookback = { span: '3 days' })),
      'entities.json › nightscout_entry › lookback.span: expected a duration like "90m", "12h" or "3d", got "3 days"',
    ],
    [
      'Nightscout API v3 without a token',
      () =>
        withEdit('systems', 'NSC01', (system) => {
          system.connection = { ...(system.connection as object), api: 'v3' };
        }),
      'systems.json › NSC01 › connection.token: API v3 needs an access token (it no longer accepts API_SECRET): set token, or api "v1"',
    ],
    [
      'an unsafe table name',
      () => withEdit('entities', 'test_product', (entity) => (entity.table = 'Products')),
      'entities.json › test_product › table: "Products" is not snake_case (lowercase letters, digits and single underscores, starting with a letter)',
    ],
    [
      'an action on an event nobody emits',
      () =>
        withEdit('actions', 'log_failed_entity_runs', (action) => {
          action.on = { event: 'entity-layer-processed', entity_id: 'test_product' };
        }),
      'actions.json › log_failed_entity_runs › on.event: no entity matching this filter emits "entity-layer-processed" (list it in the entity\'s "events")',
    ],
    [
      'an action filtering on an unknown entity',
      () =>
        withEdit('actions', 'log_failed_entity_runs', (action) => {
          action.on = { event: 'entity-layer-processed', entity_id: 'no_such_entity' };
        }),
      'actions.json › log_failed_entity_runs › on.entity_id: unknown entity "no_such_entity"',
    ],
    [
      'an entity event in landing',
      () =>
        withEdit('actions', 'log_failed_entity_runs', (action) => {
          action.on = { event: 'entity-layer-processed', layers: ['landing'] };
        }),
      'actions.json › log_failed_entity_runs › on.layers: entities are not processed in landing; use system-layer-processed',
    ],
    [
      'a malformed secret key',
      () =>
        withEdit('systems', 'BNQ01', (system) => {
          system.connection = { ...(system.connection as object), api_key: { type: 'secret', key: 'bunq-api-key' } };
        }),
      'systems.json › BNQ01 › connection.api_key.key: expected a secret key like "nightscout/api_secret" (snake_case segments joined by "/"), got "bunq-api-key"',
    ],
    [
      'a secret where no secret is accepted',
      () =>
        withEdit('systems', 'NSC01', (system) => {
          system.connection = { ...(system.connection as object), page_size: { type: 'secret', key: 'nightscout/page_size' } };
        }),
      'systems.json › NSC01 › connection.page_size: expected number, got object',
    ],
    [
      'a value that is neither a string nor a secret reference',
      () =>
        withEdit('systems', 'BNQ01', (system) => {
          system.connection = { ...(system.connection as object), api_key: 42 };
        }),
      'systems.json › BNQ01 › connection.api_key: expected a value or a secret reference {"type": "secret", "key": "group/name"}',
    ],
    [
      'two secret keys sharing a variable name',
      () =>
        withEdit('systems', 'NSC01', (system) => {
          system.connection = { ...(system.connection as object), token: { type: 'secret', key: 'nightscout_api/secret' } };
        }),
      'secrets: keys "nightscout/api_secret" and "nightscout_api/secret" map to the same environment variable and file name; rename one',
    ],
    [
      'an unknown processor',
      () => withEdit('entities', 'test_product', (entity) => (entity.processor = { name: 'pivot' })),
      'entities.json › test_product › processor.name: expected processor name to be one of "as_is", "drop_nested", "explode_list", "explode_scalars", "explode_map", "unwrap_type"',
    ],
    [
      'an explode_list without a parent key',
      () =>
        withEdit('entities', 'test_customer_order', (entity) => {
          entity.processor = { name: 'explode_list', path: 'orders', parent_key: [] };
        }),
      'entities.json › test_customer_order › processor.parent_key: expected at least one parent key column',
    ],
    [
      'an invalid regex check',
      () => withEdit('entities', 'test_customer', (entity) => (entity.quality = { regex: [{ column: 'email', pattern: '([a-z' }] })),
      'entities.json › test_customer › quality.regex[0].pattern: invalid regular expression: Invalid regular expression: /([a-z/u: Unterminated character class',
    ],
    [
      'row count bounds the wrong way round',
      () => withEdit('entities', 'test_customer', (entity) => (entity.quality = { row_count: { min: 10, max: 5 } })),
      'entities.json › test_customer › quality.row_count.min: min must not exceed max',
    ],
    [
      'row count change bounds the wrong way round',
      () => withEdit('entities', 'test_customer', (entity) => (entity.quality = { row_count: { change: { min_pct: 10, max_pct: -10 } } })),
      'entities.json › test_customer › quality.row_count.change.min_pct: min_pct must not exceed max_pct',
    ],
    [
      'a row count change without a bound',
      () => withEdit('entities', 'test_customer', (entity) => (entity.quality = { row_count: { change: {} } })),
      'entities.json › test_customer › quality.row_count.change: give at least one of min, max, min_pct, max_pct',
    ],
    [
      'a row count change below -100%',
      () => withEdit('entities', 'test_customer', (entity) => (entity.quality = { row_count: { change: { min_pct: -150 } } })),
      'entities.json › test_customer › quality.row_count.change.min_pct: Too small: expected number to be >=-100',
    ],
    [
      'both spellings of a row count change',
      () => withEdit('entities', 'test_customer', (entity) => (entity.quality = { row_count: { max_change_pct: 50, change: { max_pct: 50 } } })),
      'entities.json › test_customer › quality.row_count.max_change_pct: give change or max_change_pct, not both (max_change_pct p is change {"min_pct": -p, "max_pct": p})',
    ],
    [
      'an unknown severity',
      () => withEdit('entities', 'test_customer', (entity) => (entity.quality = { column_count: { severity: 'fatal' } })),
      'entities.json › test_customer › quality.column_count.severity: expected one of "error"|"warning"',
    ],
  ])('refuses %s', (_case, texts, expected) => {
    const issues = issuesOf(texts());
    expect(issues.some((issue) => issue.startsWith(expected))).toBe(true);
  });

  it('does not repeat a broken record through the references to it', () => {
    const texts = withEdit('systems', 'BNQ01', (system) => (system.schedule = 'every day'));
    expect(issuesOf(texts)).toEqual([
      'systems.json › BNQ01 › schedule: invalid cron expression "every day": expected 5 fields (minute hour day-of-month month day-of-week), got 2',
    ]);
  });

  it('refuses a model without a business key and a field not built with column.*', () => {
    const broken: ModelRegistry = {
      ...models,
      test_product: z.strictObject({ sku: column.text(), price: z.string() }),
    };
    expect(issuesOf(toTexts(projectRecords()), broken)).toEqual([
      'models › test_product › price: not a model column; build it with column.text(), column.numeric(), …',
    ]);
    const keyless: ModelRegistry = { ...models, test_product: z.strictObject({ sku: column.text() }) };
    expect(issuesOf(toTexts(projectRecords()), keyless)).toEqual([
      'models › test_product: no business key; mark its key column(s) with { key: true }',
    ]);
  });
});

describe('requireValidMetadata', () => {
  it('throws one error listing every problem', () => {
    const texts = withEdit('systems', 'NSC01', (system) => {
      system.schedule = '61 * * * *';
      system.enabled = 'yes';
    });
    const error = (() => {
      try {
        requireValidMetadata(texts, models);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(MetadataValidationError);
    expect((error as MetadataValidationError).issues).toHaveLength(2);
    expect((error as MetadataValidationError).status).toBe(400);
  });

  it('gives equal content the same hash, whatever the key order', () => {
    const records = projectRecords();
    const reordered = projectRecords();
    reordered.systems = reordered.systems.map((system) => Object.fromEntries(Object.entries(system).reverse()));
    expect(requireValidMetadata(toTexts(reordered), models).hash).toBe(requireValidMetadata(toTexts(records), models).hash);
  });
});
