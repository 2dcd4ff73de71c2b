import { randomUUID } from 'node:crypto';
import type { ConnectorStateStore } from '../../../adapters/mongo/connector-state-store.ts';
import { createHttpClient, type HttpClient, type HttpRequest, type HttpResponse, type HttpClientOptions } from '../../../adapters/http/http-client.ts';
import { UpstreamError } from '../../../errors.ts';
import type { Logger } from '../../../log.ts';
import { BUNQ_SERVER_KEY_STATE, openBunqContext, sealBunqContext, type BunqContext } from './bunq-context.ts';
import { BunqEnvelope, findUser, itemOfType } from './bunq-envelope.ts';
import { generateBunqKeyPair, isValidServerSignature, keyPairFromPrivateKey, signBody } from './bunq-signing.ts';

/** bunq's production and sandbox API (sources.md §B.1). */
export const BUNQ_BASE_URLS = {
  production: 'https://api.bunq.com/v1',
  sandbox: 'https://public-api.sandbox.bunq.com/v1',
} as const;

/** bunq's strictest limit (GET 3 per 3 s, sources.md §B.4), applied to every request the connector sends. */
export const BUNQ_RATE_LIMIT = { requests: 3, perMs: 3000 } as const;

/** The SDK opens a new session when less than this remains. */
const SESSION_MARGIN_MS = 30_000;
/** When bunq's user object carries no `session_timeout`, assume its smallest. */
const DEFAULT_SESSION_TIMEOUT_SECONDS = 600;
const STATE_KEY = 'bunq';

/** What a bunq session needs: the system's connection settings (secrets resolved) and where to keep the context. */
export interface BunqSessionOptions {
  readonly system_id: string;
  readonly base_url: string;
  readonly api_key: string;
  /** A PEM private key from metadata; else one is generated once and kept in the sealed context. */
  readonly private_key?: string | undefined;
  readonly device_description: string;
  readonly permitted_ips: readonly string[];
  readonly state: ConnectorStateStore;
  readonly log: Logger;
  readonly now?: () => number;
  /** HTTP tuning (tests shorten retries and the rate limit). */
  readonly http?: Pick<HttpClientOptions, 'retry' | 'rateLimit' | 'timeoutMs' | 'clock' | 'random'>;
}

/** A verified bunq answer: the parsed envelope and the raw bytes it was verified on. */
export interface BunqAnswer {
  readonly envelope: BunqEnvelope;
  readonly response: HttpResponse;
}

/**
 * A bunq API context (sources.md §B.2–B.3): installation → device-server → session-server once, then the session
 * token on every call. The key pair, tokens and bunq's public key are kept sealed with the API key in the
 * connector state store (MongoDB `connector_state`), so a call reuses them and bunq's limit of one session per
 * 30 s is never in the way. Every answer's `X-Bunq-Server-Signature` is verified on the raw body; a 401 (an
 * expired or revoked session) opens a new session once and repeats the request. Nothing secret is logged.
 */
export class BunqSession {
  readonly #options: BunqSessionOptions;
  readonly #http: HttpClient;
  readonly #now: () => number;
  #context: BunqContext | undefined;

  constructor(options: BunqSessionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#http = createHttpClient({
      source: 'bunq',
      baseUrl: options.base_url,
      log: options.log,
      headers: {
        'cache-control': 'no-cache',
        'x-bunq-language': 'en_US',
        'x-bunq-region': 'nl_NL',
        'x-bunq-geolocation': '0 0 0 0 000',
      },
      rateLimit: BUNQ_RATE_LIMIT,
      ...options.http,
    });
  }

  /** The user the session belongs to; opens (or reuses) the context and session first. */
  async userId(): Promise<number> {
    return (await this.#ensureSession()).user_id;
  }

  /** A GET with the session token; the answer is verified and parsed. A 401 re-opens the session once. */
  async get(path: string, query: HttpRequest['query'] = {}): Promise<BunqAnswer> {
    const session = await this.#ensureSession();
    try {
      return await this.#send({ path, query }, session.token);
    } catch (error) {
      if (!(error instanceof UpstreamError) || error.upstreamStatus !== 401) throw error;
      this.#options.log.info('bunq session refused; opening a new one');
      const renewed = await this.#openSession(true);
      return this.#send({ path, query }, renewed.token);
    }
  }

  /** Stores the context with the session's new expiry (each call extends a bunq session). */
  async save(): Promise<void> {
    if (this.#context) await this.#store(this.#context);
  }

  async #send(request: HttpRequest, token: string | undefined, body?: Record<string, unknown>): Promise<BunqAnswer> {
    const bytes = body === undefined ? undefined : JSON.stringify(body);
    const context = this.#context;
    const headers: Record<string, string> = { 'x-bunq-client-request-id': randomUUID() };
    if (token !== undefined) headers['x-bunq-client-authentication'] = token;
    if (bytes !== undefined) {
      headers['content-type'] = 'application/json';
      if (context && token !== undefined) headers['x-bunq-client-signature'] = signBody(bytes, context.private_key_pem);
    }
    const response = await this.#http.request({
      ...request,
      method: body === undefined ? 'GET' : 'POST',
      headers,
      ...(bytes === undefined ? {} : { body: bytes }),
    });
    if (context && !isValidServerSignature(response.body, response.headers['x-bunq-server-signature'], context.server_public_key_pem)) {
      throw new UpstreamError(`bunq ${request.path}: the answer's X-Bunq-Server-Signature does not verify with the installation's server key`, response.status);
    }
    const envelope = BunqEnvelope.safeParse(response.data);
    if (!envelope.success) throw new UpstreamError(`bunq ${request.path}: the answer is not a bunq "Response" list`, response.status);
    if (context?.session && token === context.session.token) {
      context.session.expires_at_ms = this.#now() + context.session.timeout_seconds * 1000;
    }
    return { envelope: envelope.data, response };
  }

  async #ensureSession(): Promise<NonNullable<BunqContext['session']>> {
    if (!this.#context) this.#context = openBunqContext(await this.#options.state.read(STATE_KEY, this.#options.system_id), this.#options.api_key);
    const session = this.#context?.session;
    if (session && session.expires_at_ms - SESSION_MARGIN_MS > this.#now()) return session;
    return this.#openSession(false);
  }

  /** Opens a session, doing installation and device-server first when the context lacks them; once more from scratch if bunq refuses. */
  async #openSession(isRenewal: boolean): Promise<NonNullable<BunqContext['session']>> {
    try {
      return await this.#sessionServer(await this.#installedContext());
    } catch (error) {
      if (!(error instanceof UpstreamError) || error.upstreamStatus === undefined || error.upstreamStatus >= 500) throw error;
      // the installation or device is no longer known (a revoked key, a new API key): start over once
      this.#options.log.info({ status: error.upstreamStatus, renewal: isRenewal }, 'bunq refused the stored installation; installing again');
      this.#context = undefined;
      return this.#sessionServer(await this.#installedContext());
    }
  }

  async #installedContext(): Promise<BunqContext> {
    let context = this.#context;
    if (!context) {
      const keys = this.#options.private_key ? keyPairFromPrivateKey(this.#options.private_key) : generateBunqKeyPair();
      const answer = await this.#send({ path: 'installation' }, undefined, { client_public_key: keys.public_key_pem });
      const token = itemOfType(answer.envelope, 'Token')?.token;
      const serverKey = itemOfType(answer.envelope, 'ServerPublicKey')?.server_public_key;
      if (typeof token !== 'string' || typeof serverKey !== 'string') throw new UpstreamError('bunq installation: no Token or ServerPublicKey in the answer', 200);
      context = { ...keys, installation_token: token, server_public_key_pem: serverKey, is_device_registered: false, session: null };
      this.#context = context;
      await this.#store(context);
      this.#options.log.info('bunq installation created');
    }
    if (!context.is_device_registered) {
      await this.#send({ path: 'device-server' }, context.installation_token, {
        description: this.#options.device_description,
        secret: this.#options.api_key,
        permitted_ips: [...this.#options.permitted_ips],
      });
      context.is_device_registered = true;
      await this.#store(context);
      this.#options.log.info('bunq device registered');
    }
    return context;
  }

  async #sessionServer(context: BunqContext): Promise<NonNullable<BunqContext['session']>> {
    const answer = await this.#send({ path: 'session-server' }, context.installation_token, { secret: this.#options.api_key });
    const token = itemOfType(answer.envelope, 'Token')?.token;
    const user = findUser(answer.envelope);
    const userId = user?.object.id;
    if (typeof token !== 'string' || typeof userId !== 'number') throw new UpstreamError('bunq session-server: no Token or user in the answer', 200);
    const timeout = user?.object.session_timeout;
    const timeoutSeconds = typeof timeout === 'number' && timeout > 0 ? Math.floor(timeout) : DEFAULT_SESSION_TIMEOUT_SECONDS;
    context.session = { token, user_id: userId, timeout_seconds: timeoutSeconds, expires_at_ms: this.#now() + timeoutSeconds * 1000 };
    await this.#store(context);
    this.#options.log.info({ user_type: user?.type, session_timeout: timeoutSeconds }, 'bunq session opened');
    return context.session;
  }

  async #store(context: BunqContext): Promise<void> {
    await this.#options.state.write(STATE_KEY, this.#options.system_id, sealBunqContext(context, this.#options.api_key));
    await this.#options.state.write(BUNQ_SERVER_KEY_STATE, this.#options.system_id, { server_public_key_pem: context.server_public_key_pem });
  }
}
