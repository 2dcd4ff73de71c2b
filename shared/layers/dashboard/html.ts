/**
 * Safe HTML building for the dashboard: every interpolated value is escaped unless it is already `SafeHtml`
 * (made by `html` itself), so audit text (error messages, ids from metadata) can never become markup.
 */

/** Markup that is already escaped; only `html` and `raw` make it. */
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
