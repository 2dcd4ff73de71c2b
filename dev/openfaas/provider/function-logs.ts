/**
 * Function logs, as `faas-cli logs` reads them through `GET /system/logs`: every output line of a replica, kept in a
 * file per function (faasd reads the journal), as NDJSON `logs.Message` lines, so they outlive a replica and the
 * provider. A file past `maxBytes` is rotated once (`.1`), which bounds the disk a chatty function takes.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** One output line, in the shape and field order of `openfaas/faas-provider: logs.Message`. */
export interface LogMessage {
  readonly name: string;
  readonly namespace: string;
  readonly instance: string;
  /** RFC 3339 time the line was written. */
  readonly timestamp: string;
  readonly text: string;
}

/** What `/system/logs` asks for: `tail` ≤ 0 means every kept line; `since` drops older lines. */
export interface LogQuery {
  readonly name: string;
  readonly namespace: string;
  readonly tail?: number;
  readonly since?: Date;
}

type Listener = (message: LogMessage) => void;

interface OpenFile {
  fd: number;
  bytes: number;
}

export class FunctionLogs {
  readonly #files = new Map<string, OpenFile>();
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly dir: string,
    private readonly maxBytes = 4 * 1024 * 1024,
  ) {}

  #file(namespace: string, name: string): string {
    return path.join(this.dir, namespace, `${name}.log`);
  }

  /** Appends one line of a replica's output and hands it to the function's followers. */
  append(message: LogMessage): void {
    const key = `${message.namespace}/${message.name}`;
    const file = this.#file(message.namespace, message.name);
    let open = this.#files.get(key);
    if (open === undefined) {
      mkdirSync(path.dirname(file), { recursive: true });
      open = { fd: openSync(file, 'a'), bytes: existsSync(file) ? statSync(file).size : 0 };
      this.#files.set(key, open);
    }
    const line = Buffer.from(`${JSON.stringify(message)}\n`);
    if (open.bytes + line.length > this.maxBytes && open.bytes > 0) {
      closeSync(open.fd);
      renameSync(file, `${file}.1`);
      open.fd = openSync(file, 'a');
      open.bytes = 0;
    }
    writeSync(open.fd, line);
    open.bytes += line.length;
    for (const listener of this.#listeners.get(key) ?? []) listener(message);
  }

  /** The kept lines of one function that match the query, oldest first. */
  read(query: LogQuery): LogMessage[] {
    const file = this.#file(query.namespace, query.name);
    const since = query.since?.getTime();
    const lines: LogMessage[] = [];
    for (const part of [`${file}.1`, file]) {
      let text: string;
      try {
        text = readFileSync(part, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const message = JSON.parse(line) as LogMessage;
        if (since === undefined || Date.parse(message.timestamp) >= since) lines.push(message);
      }
    }
    const tail = query.tail ?? 0;
    return tail > 0 ? lines.slice(-tail) : lines;
  }

  /** Calls `listener` for every new line of the function until the returned function is called. */
  follow(namespace: string, name: string, listener: Listener): () => void {
    const key = `${namespace}/${name}`;
    let listeners = this.#listeners.get(key);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(key, listeners);
    }
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  close(): void {
    for (const open of this.#files.values()) closeSync(open.fd);
    this.#files.clear();
  }
}

/**
 * Splits a byte stream into lines: chunks may end mid-line (or mid-character), so the rest waits for the next chunk
 * or `flush()`. `\r\n` counts as one line end.
 */
export class LineSplitter {
  #rest = '';
  readonly #decoder = new StringDecoder('utf8');

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const parts = (this.#rest + this.#decoder.write(chunk)).split('\n');
    this.#rest = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  flush(): void {
    this.#rest += this.#decoder.end();
    if (this.#rest !== '') this.onLine(this.#rest);
    this.#rest = '';
  }
}
