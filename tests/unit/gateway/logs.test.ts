import { describe, expect, it } from 'vitest';
import { LineSplitter, LogStore, type LogMessage } from '../../../dev/gateway/logs.ts';

const line = (name: string, text: string, timestamp = '2026-01-01T00:00:00.000Z'): LogMessage => ({
  name, namespace: 'openfaas-fn', instance: name, timestamp, text,
});

describe('LogStore', () => {
  it('keeps only the last `capacity` lines per function', () => {
    const store = new LogStore(3);
    for (const text of ['1', '2', '3', '4', '5']) store.append(line('a', text));
    store.append(line('b', 'other'));
    expect(store.read({ name: 'a' }).map((l) => l.text)).toEqual(['3', '4', '5']);
    expect(store.read({ name: 'b' }).map((l) => l.text)).toEqual(['other']);
  });

  it.each([
    [{ tail: 2 }, ['2', '3']],
    [{ tail: 0 }, ['1', '2', '3']], // ≤ 0 means all
    [{ tail: -1 }, ['1', '2', '3']],
    [{ since: new Date('2026-01-01T00:00:02Z') }, ['2', '3']],
    [{ since: new Date('2026-01-01T00:00:02Z'), tail: 1 }, ['3']],
  ])('reads with %o', (query, expected) => {
    const store = new LogStore();
    for (const [i, text] of ['1', '2', '3'].entries()) store.append(line('a', text, `2026-01-01T00:00:0${i + 1}.000Z`));
    expect(store.read({ name: 'a', ...query }).map((l) => l.text)).toEqual(expected);
  });

  it('answers an unknown function with no lines', () => {
    expect(new LogStore().read({ name: 'nobody' })).toEqual([]);
  });

  it('tells followers of a function about its new lines until they stop', () => {
    const seen: string[] = [];
    const everything: string[] = [];
    const store = new LogStore(10, (message) => everything.push(message.text));
    const stop = store.follow('a', (message) => seen.push(message.text));
    store.append(line('a', 'one'));
    store.append(line('b', 'not mine'));
    stop();
    store.append(line('a', 'after'));
    expect(seen).toEqual(['one']);
    expect(everything).toEqual(['one', 'not mine', 'after']);
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks, including a multi-byte character, and flushes the last one', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((text) => lines.push(text));
    const bytes = Buffer.from('first\r\nsecond €uro\nlast');
    const euro = bytes.indexOf(Buffer.from('€'));
    splitter.push(bytes.subarray(0, euro + 1)); // ends inside the three bytes of €
    splitter.push(bytes.subarray(euro + 1));
    expect(lines).toEqual(['first', 'second €uro']);
    splitter.flush();
    expect(lines).toEqual(['first', 'second €uro', 'last']);
  });
});
