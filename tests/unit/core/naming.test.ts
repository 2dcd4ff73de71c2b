import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  byteLength,
  joinIdentifiers,
  makeIdentifier,
  MAX_IDENTIFIER_BYTES,
  normalizeIdentifier,
  shortenIdentifier,
} from '../../../shared/core/naming.ts';

describe('normalizeIdentifier', () => {
  it.each([
    // already snake_case: unchanged
    ['created_at', 'created_at'],
    ['_id', '_id'],
    // camelCase splits at each hump
    ['dateString', 'date_string'],
    ['timeAsSeconds', 'time_as_seconds'],
    ['insulinNeedsScaleFactor', 'insulin_needs_scale_factor'],
    // a run of capitals stays one word
    ['pumpID', 'pump_id'],
    ['HTTPResponse', 'http_response'],
    ['MonetaryAccountBank', 'monetary_account_bank'],
    ['SGV', 'sgv'],
    // a digit followed by a capital is a hump too
    ['sgv2Value', 'sgv2_value'],
    // characters outside [a-z0-9_] become _
    ['content-type', 'content_type'],
    ['a.b', 'a_b'],
    ['$set', '_set'],
    ['with space', 'with_space'],
    // repeated underscores collapse to one
    ['payment__counterparty_alias__label_user__avatar__image', 'payment_counterparty_alias_label_user_avatar_image'],
    ['a - b', 'a_b'],
    // a trailing underscore is kept
    ['name_', 'name_'],
    // accents are dropped, other scripts become _
    ['naïve', 'naive'],
    ['Café', 'cafe'],
    ['日本', '_'],
    ['nick✨name', 'nick_name'],
    // a leading digit gets a _ prefix (PostgreSQL identifiers cannot start with one)
    ['1st', '_1st'],
    ['00:00', '_00_00'],
    // the empty name becomes _
    ['', '_'],
  ])('normalizes %j to %j', (input, expected) => {
    expect(normalizeIdentifier(input)).toBe(expected);
  });

  test.prop([fc.string({ unit: 'binary' })])('is idempotent', (name) => {
    const once = normalizeIdentifier(name);
    expect(normalizeIdentifier(once)).toBe(once);
  });

  test.prop([fc.string({ unit: 'binary' })])('yields only [a-z0-9_], never a leading digit or a double underscore', (name) => {
    expect(normalizeIdentifier(name)).toMatch(/^(?!\d)(?!.*__)[a-z0-9_]+$/);
  });
});

describe('joinIdentifiers', () => {
  it.each([
    ['a', 'b', 'a_b'],
    ['pump', '_id', 'pump_id'],
    ['name_', 'x', 'name_x'],
    ['store', '_1st', 'store_1st'],
  ])('joins %j and %j as %j', (prefix, segment, expected) => {
    expect(joinIdentifiers(prefix, segment)).toBe(expected);
  });

  test.prop([fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })])(
    'equals normalising the raw names joined with _',
    (a, b) => {
      expect(joinIdentifiers(normalizeIdentifier(a), normalizeIdentifier(b))).toBe(normalizeIdentifier(`${a}_${b}`));
    },
  );
});

describe('shortenIdentifier', () => {
  const longPath = 'bunq_payment__counterparty_alias__label_user__avatar__image__attachment_public_uuid';

  it('returns a name of 63 bytes or less unchanged', () => {
    const name = 'payment_counterparty_alias_label_user_avatar_image';
    expect(shortenIdentifier(name)).toBe(name);
    expect(shortenIdentifier('x'.repeat(63))).toBe('x'.repeat(63));
  });

  it('keeps the start of a long name and ends it in _ and a 10-digit hash tag', () => {
    const normalized = normalizeIdentifier(longPath);
    expect(normalized).toBe('bunq_payment_counterparty_alias_label_user_avatar_image_attachment_public_uuid');
    const short = shortenIdentifier(normalized);
    expect(short).toMatch(/^bunq_payment_counterparty_alias_label_user_avatar_im_[0-9a-f]{10}$/);
    expect(byteLength(short)).toBe(MAX_IDENTIFIER_BYTES);
  });

  it('gives two long names with the same start different tags', () => {
    const base = 'nightscout_profile_store_loop_settings_override_presets_target_range';
    expect(shortenIdentifier(`${base}_low`)).not.toBe(shortenIdentifier(`${base}_high`));
  });

  it('counts bytes, not characters: 40 accented characters are 80 bytes', () => {
    const name = 'é'.repeat(40);
    const short = shortenIdentifier(name);
    expect(short).not.toBe(name);
    expect(byteLength(short)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
    expect(short.startsWith('é'.repeat(26))).toBe(true);
  });

  it('never splits a character or a surrogate pair when cutting', () => {
    const short = shortenIdentifier(`a${'😀'.repeat(20)}`);
    expect(short).toMatch(/^a(😀)+_[0-9a-f]{10}$/u);
    expect(short).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('drops underscores at the cut, so the result is still a normalised identifier', () => {
    const name = `${'a'.repeat(51)}__${'b'.repeat(20)}`;
    const short = shortenIdentifier(name);
    expect(short).toMatch(/^a{51}_[0-9a-f]{10}$/);
  });

  it('is deterministic across calls', () => {
    expect(shortenIdentifier('y'.repeat(100))).toBe(shortenIdentifier('y'.repeat(100)));
  });

  it('honours a smaller limit', () => {
    expect(shortenIdentifier('abcdefghijklmnopqrstuvwxyz', 20)).toMatch(/^abcdefghi_[0-9a-f]{10}$/);
  });

  test.prop([fc.string({ unit: 'binary', maxLength: 200 })])('is idempotent and fits in 63 bytes', (name) => {
    const short = shortenIdentifier(name);
    expect(byteLength(short)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
    expect(shortenIdentifier(short)).toBe(short);
  });

  test.prop([fc.uniqueArray(fc.string({ minLength: 60, maxLength: 120 }), { minLength: 2, maxLength: 50 })])(
    'keeps distinct names distinct',
    (names) => {
      const identifiers = names.map((name) => makeIdentifier(`${'prefix_'.repeat(10)}${name}`));
      const raw = names.map((name) => normalizeIdentifier(`${'prefix_'.repeat(10)}${name}`));
      expect(new Set(identifiers).size).toBe(new Set(raw).size);
    },
  );
});

describe('makeIdentifier', () => {
  test.prop([fc.string({ unit: 'binary', maxLength: 200 })])(
    'gives a normalised identifier within 63 bytes that makeIdentifier keeps',
    (name) => {
      const identifier = makeIdentifier(name);
      expect(identifier).toMatch(/^(?!\d)(?!.*__)[a-z0-9_]+$/);
      expect(identifier.length).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
      expect(makeIdentifier(identifier)).toBe(identifier);
    },
  );
});
