import { StringDecoder } from 'node:string_decoder';

/**
 * One captured output line of a function, in the NDJSON shape of `GET /system/logs`
 * (`openfaas/faas-provider: logs.Message`), field order included.
 */
export interface LogMessage {
  readonly name: string;
  readonly namespace: string;
  readonly instance: string;
  /** RFC 3339 time the line was captured. */
  readonly timestamp: string;
  readonly text: string;
}

/** What `/system/logs` asks for: `tail` ≤ 0 means every stored line, `since` drops older lines. */
export interface LogQuery {
  readonly name: string;
  readonly tail?: number;
  readonly since?: Date;
}

type LogListener = (message: LogMessage) => void;

/**
 * Keeps the last `capacity` output lines of each function in a ring buffer and tells followers about new ones.
 * Bounded so a chatty function cannot grow the gateway's memory; the real faasd reads the journal instead.
 */
export class LogStore {
  readonly #capacity: number;
  readonly #lines = new Map<string, LogMessage[]>();
  readonly #listeners = new Map<string, Set<LogListener>>();

  /** `onAppend` sees every line of every function (the gateway echoes them to its own log). */
  constructor(
    capacity = 1000,
    private readonly onAppend: LogListener = () => undefined,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`log capacity must be ≥ 1, got ${capacity}`);
    this.#capacity = capacity;
  }

  /** Stores one line (without its newline) and hands it to the function's followers. */
  append(message: LogMessage): void {
    let lines = this.#lines.get(message.name);
    if (!lines) {
      lines = [];
      this.#lines.set(message.name, lines);
    }
    lines.push(message);
    if (lines.length > this.#capacity) lines.splice(0, lines.length - this.#capacity);
    this.onAppend(message);
    for (const listener of this.#listeners.get(message.name) ?? []) listener(message);
  }

  /** The stored lines of one function that match the query, oldest first. */
  read(query: LogQuery): LogMessage[] {
    const since = query.since?.getTime();
    const lines = (this.#lines.get(query.name) ?? []).filter(
      (line) => since === undefined || Date.parse(line.timestamp) >= since,
    );
    const tail = query.tail ?? 0;
    return tail > 0 ? lines.slice(-tail) : lines;
  }

  /** Calls `listener` for every new line of `name` until the returned function is called. */
  follow(name: string, listener: LogListener): () => void {
    let listeners = this.#listeners.get(name);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(name, listeners);
    }
    listeners.add(listener);
    return () => listeners.delete(listener);
  }
}

/**
 * Splits a byte stream into lines for the log store: chunks may end mid-line, so the rest waits for the next
 * chunk (or `flush()` at exit). `\r\n` counts as one line end.
 */
export class LineSplitter {
  #rest = '';
  // A chunk may end inside a multi-byte UTF-8 character; the decoder keeps the partial bytes.
  readonly #decoder = new StringDecoder('utf8');

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feeds one chunk; every complete line is emitted. */
  push(chunk: Buffer | string): void {
    const parts = (this.#rest + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk))).split('\n');
    this.#rest = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  /** Emits an unterminated last line, if any. */
  flush(): void {
    this.#rest += this.#decoder.end();
    if (this.#rest !== '') this.onLine(this.#rest);
    this.#rest = '';
  }
}
