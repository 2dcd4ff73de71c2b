// Health check for dev/services.sh: sends a real MongoDB `ping` (OP_MSG) and exits 0 when the answer says ok: 1.
// FerretDB answers ping only when its PostgreSQL backend is reachable. Raw wire protocol instead of the
// driver: loading the driver takes about a second, and this also works before `npm ci`.
// Usage: node mongo-ping.mjs [HOST:PORT]   (default 127.0.0.1:27017)
import net from 'node:net';

const [host, port] = (process.argv[2] ?? '127.0.0.1:27017').split(':');
const OP_MSG = 2013;

function cstring(text) {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
}

/** BSON for { ping: 1, $db: 'admin' }. */
function pingDocument() {
  const int32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return b;
  };
  const body = Buffer.concat([
    Buffer.from([0x10]), cstring('ping'), int32(1),
    Buffer.from([0x02]), cstring('$db'), int32(6), cstring('admin'),
    Buffer.from([0x00]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}

/** Reads the top-level `ok` of a BSON document (double, int32, int64 or bool); undefined when absent. */
function readOk(doc) {
  const fixed = { 0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0a: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16 };
  let at = 4;
  while (at < doc.length - 1) {
    const type = doc[at];
    const nameEnd = doc.indexOf(0, at + 1);
    const name = doc.toString('utf8', at + 1, nameEnd);
    at = nameEnd + 1;
    if (name === 'ok') {
      if (type === 0x01) return doc.readDoubleLE(at);
      if (type === 0x10) return doc.readInt32LE(at);
      if (type === 0x12) return Number(doc.readBigInt64LE(at));
      if (type === 0x08) return doc[at];
      return undefined;
    }
    if (type in fixed) at += fixed[type];
    else if (type === 0x02 || type === 0x0d || type === 0x0e) at += 4 + doc.readInt32LE(at);
    else if (type === 0x03 || type === 0x04) at += doc.readInt32LE(at);
    else if (type === 0x05) at += 5 + doc.readInt32LE(at);
    else return undefined;
  }
  return undefined;
}

const doc = pingDocument();
const header = Buffer.alloc(16);
header.writeInt32LE(16 + 4 + 1 + doc.length, 0);
header.writeInt32LE(1, 4);
header.writeInt32LE(0, 8);
header.writeInt32LE(OP_MSG, 12);
const message = Buffer.concat([header, Buffer.alloc(4), Buffer.from([0]), doc]);

const socket = net.connect({ host, port: Number(port) });
socket.setTimeout(2000);
let received = Buffer.alloc(0);
const finish = (code, why) => {
  if (why) console.error(`mongo-ping ${host}:${port}: ${why}`);
  socket.destroy();
  process.exit(code);
};
socket.on('connect', () => socket.write(message));
socket.on('timeout', () => finish(1, 'no answer within 2 s'));
socket.on('error', (error) => finish(1, error.message));
socket.on('close', () => finish(1, 'connection closed before a reply'));
socket.on('data', (chunk) => {
  received = Buffer.concat([received, chunk]);
  if (received.length < 4 || received.length < received.readInt32LE(0)) return;
  if (received.readInt32LE(12) !== OP_MSG || received[20] !== 0) finish(1, 'unexpected reply');
  const ok = readOk(received.subarray(21, 21 + received.readInt32LE(21)));
  finish(ok === 1 ? 0 : 1, ok === 1 ? undefined : `ping answered ok: ${ok}`);
});
