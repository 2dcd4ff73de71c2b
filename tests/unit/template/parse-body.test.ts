import { describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../../../shared/errors.ts';
import { formatIssue } from '../../../shared/handler.ts';
import { isJsonMediaType, parseBody, parseContentType } from '../../../templates/dataplatform-node20/parse-body.ts';

describe('parseBody', () => {
  it('tolerates a UTF-8 byte order mark before JSON', () => {
    expect(parseBody(Buffer.from('\uFEFF{"a":1}'), 'application/json')).toEqual({ a: 1 });
  });

  it('decodes text in its declared charset', () => {
    expect(parseBody(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'text/plain; charset=ISO-8859-1')).toBe('café');
  });

  it('falls back to UTF-8 for an unknown charset', () => {
    expect(parseBody(Buffer.from('café'), 'text/plain; charset=klingon')).toBe('café');
  });

  it('names the JSON problem and keeps the parser error as cause', () => {
    const parse = (): unknown => parseBody(Buffer.from('{"a": tru}'), 'application/json');
    expect(parse).toThrow(InvalidPayloadError);
    expect(parse).toThrow(/^request body is not valid JSON: /);
  });
});

describe('parseContentType', () => {
  it('lower-cases the media type and unquotes the charset', () => {
    expect(parseContentType('Text/Plain; Charset="UTF-8"')).toEqual({ mediaType: 'text/plain', charset: 'utf-8' });
  });

  it('gives an empty media type when the header is missing', () => {
    expect(parseContentType(undefined)).toEqual({ mediaType: '', charset: undefined });
  });
});

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['application/cloudevents+json', true],
    ['application/vnd.api+json', true],
    ['text/json', false],
    ['application/jsonl', false],
    ['application/x-www-form-urlencoded', false],
  ])('%s → %s', (mediaType, expected) => {
    expect(isJsonMediaType(mediaType)).toBe(expected);
  });
});

describe('formatIssue', () => {
  it.each([
    [{ message: 'Required', path: ['batch_id'] }, 'batch_id: Required'],
    [{ message: 'Too small', path: ['rows', 2, 'amount'] }, 'rows[2].amount: Too small'],
    [{ message: 'Expected object', path: [] }, '(root): Expected object'],
    [{ message: 'Bad key', path: [{ key: 'a' }, { key: 0 }] }, 'a[0]: Bad key'],
  ])('renders %o as %j', (issue, expected) => {
    expect(formatIssue(issue)).toBe(expected);
  });
});
