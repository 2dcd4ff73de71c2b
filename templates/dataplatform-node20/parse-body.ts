import { InvalidPayloadError } from '../../shared/errors.ts';

/**
 * Turns the raw body into `event.body` by content type: JSON for `application/json` and every `+json` type,
 * a string for `text/*` (decoded with its charset, UTF-8 by default), `undefined` when empty, else the Buffer.
 * Malformed JSON is refused with `InvalidPayloadError` (400) naming the parser's complaint.
 */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const { mediaType, charset } = parseContentType(contentType);
  if (isJsonMediaType(mediaType)) return parseJson(raw);
  if (mediaType.startsWith('text/')) return decodeText(raw, charset);
  return raw;
}

/** `application/json`, `application/cloudevents+json`, `application/vnd.api+json`… */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}

/** Splits `Text/Plain; Charset="latin1"` into a lower-case media type and its charset, if any. */
export function parseContentType(header: string | undefined): { mediaType: string; charset: string | undefined } {
  if (header === undefined) return { mediaType: '', charset: undefined };
  const [type = '', ...parameters] = header.split(';');
  let charset: string | undefined;
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=', 2);
    if (name.trim().toLowerCase() === 'charset') charset = value.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return { mediaType: type.trim().toLowerCase(), charset };
}

function parseJson(raw: Buffer): unknown {
  // JSON is UTF-8 (RFC 8259); a leading byte order mark is tolerated as JSON.parse itself would not.
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidPayloadError(`request body is not valid JSON: ${reason}`, [], { cause: error });
  }
}

function decodeText(raw: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(raw);
  } catch {
    // An unknown charset label: UTF-8 is the only sensible guess, and dropping the body would be worse.
    return raw.toString('utf8');
  }
}
