/**
 * Sends email over SMTP with nodemailer (the only importer of it): one connection per message, deadlines on every
 * step, and nodemailer's errors turned into the platform's, naming the server and what it said, never the login.
 */
import { createTransport } from 'nodemailer';
import { UpstreamError, UpstreamUnavailableError, type PlatformError } from '../../errors.ts';

/** Where and how to reach the SMTP server (the `email` action's `smtp` settings, secrets resolved). */
export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  readonly secure: boolean;
  /** Refuse to send unless STARTTLS upgraded the connection. */
  readonly require_tls: boolean;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/** One plain-text message. */
export interface EmailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** `<…@…>`: the same for every attempt at one event, so a mail client shows a resend as the same message. */
  readonly messageId: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the server accepted. */
export interface SentEmail {
  readonly messageId: string;
  readonly accepted: string[];
  /** Recipients the server refused while it took the message for others. */
  readonly rejected: string[];
}

/** nodemailer's error codes for a server that could not be reached or talked to: a later attempt may get through. */
const UNREACHABLE_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'ECONNREFUSED']);

/**
 * Sends `message` through the server of `settings`, waiting at most `timeoutMs` for the connection, the greeting and
 * each command. Resolves with what the server accepted; rejects with `UpstreamUnavailableError` (unreachable, timed
 * out, a 4xx "try later") or `UpstreamError` (the login or the message refused for good).
 */
export async function sendEmail(settings: SmtpSettings, message: EmailMessage, options: { readonly timeoutMs: number }): Promise<SentEmail> {
  const transport = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    requireTLS: settings.require_tls,
    // A server without STARTTLS (a LAN relay) still gets the login; require_tls says when that is not acceptable.
    ...(settings.username === undefined ? {} : { auth: { user: settings.username, pass: settings.password ?? '' } }),
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    const info = await transport.sendMail({
      from: message.from,
      to: [...message.to],
      subject: message.subject,
      text: message.text,
      messageId: message.messageId,
      headers: { ...message.headers },
    });
    return { messageId: info.messageId, accepted: addresses(info.accepted), rejected: addresses(info.rejected) };
  } catch (error) {
    throw smtpError(settings, error);
  } finally {
    transport.close();
  }
}

function addresses(list: ReadonlyArray<string | { address: string }> | undefined): string[] {
  return (list ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.address));
}

/** nodemailer's error as the platform's: the server, the step, and the server's own answer. */
function smtpError(settings: SmtpSettings, error: unknown): PlatformError {
  const where = `SMTP server ${settings.host}:${settings.port}`;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  const said = typeof fields.response === 'string' ? fields.response : typeof fields.message === 'string' ? fields.message : String(error);
  const detail = `${said}${code === undefined ? '' : ` (${code})`}`;
  if (code === 'EAUTH') return new UpstreamError(`${where} refused the login: ${detail}`, responseCode, { cause: error });
  // 5xx: refused for good (a later attempt gets the same answer); 4xx: "try again later", as a lost connection.
  if (responseCode !== undefined && responseCode >= 500) return new UpstreamError(`${where} refused the message: ${detail}`, responseCode, { cause: error });
  if (responseCode !== undefined || (code !== undefined && UNREACHABLE_CODES.has(code))) {
    return new UpstreamUnavailableError(`${where} could not take the message: ${detail}`, { cause: error });
  }
  return new UpstreamError(`${where} refused the message: ${detail}`, responseCode, { cause: error });
}
