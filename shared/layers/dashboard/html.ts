/**
 * Safe HTML building for the dashboard: every interpolated value is escaped unless it is already `SafeHtml`
 * (made by `html` itself), so audit text (error messages, ids from metadata) can never become markup.
 */

/** Markup that is already escaped; only `html`, `raw` and `jsonScript` make it. */
export class SafeHtml {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/** What `html` accepts between its literal parts. `null`/`undefined`/`false` render nothing; lists are joined. */
export type HtmlValue = SafeHtml | string | number | boolean | Date | null | undefined | readonly HtmlValue[];

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/**
 * A template tag that escapes its values: ``html`<td>${run.error}</td>` `` is safe for any error text.
 *
 * @example html`<a href="${url}">${label}</a>` // url and label escaped, the tags kept
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(text);
}

/** Trusted markup written in code (the page's fixed `<style>`); never pass data to it. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (value instanceof Date) return escapeHtml(value.toISOString());
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

const JSON_ESCAPES: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * A JSON data island, `<script type="application/json" id="…">`: the browser never runs it, and `<`, `>` and `&`
 * become `\u003c`… inside the JSON text, so no value can close the element or open another one.
 *
 * @example jsonScript('data', { error: '</script><script>alert(1)' }) // …"\u003c/script\u003e\u003cscript\u003ealert(1)"…
 */
export function jsonScript(id: string, value: unknown): SafeHtml {
  const json = JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => JSON_ESCAPES[char] ?? char);
  return new SafeHtml(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}
