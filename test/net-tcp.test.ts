/**
 * The TCP state machine driven directly (no provider): two hosts, virtual time, segments
 * observed on the wire.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from '../src/net/network.js';
import { ACK, FIN, RST, SYN, type Segment } from '../src/net/segment.js';
import type { ConnectionEvents, FailReason, TcpConnection } from '../src/net/tcp.js';

function world(seed = 1) {
  const net = new Network({
    seed, latencyUs: 100, loopbackLatencyUs: 10,
    tcp: { synRtoUs: 3_000_000, synRetries: 2, timeWaitUs: 240_000_000, window: 65535, mss: 1460 },
  });
  const a = net.addHost('a', [{ version: 4, text: '10.0.0.1' }]);
  const b = net.addHost('b', [{ version: 4, text: '10.0.0.2' }]);
  const wire: { from: string; seg: Segment; t: number }[] = [];
  net.taps.add((seg, from, t) => wire.push({ from: from.name, seg, t }));
  return { net, a, b, wire };
}

class Recorder implements ConnectionEvents {
  log: string[] = [];
  established(): void { this.log.push('established'); }
  failed(_c: TcpConnection, r: FailReason): void { this.log.push(`failed:${r}`); }
  remoteClosed(): void { this.log.push('remoteClosed'); }
  data(_c: TcpConnection, b: Uint8Array): void { this.log.push(`data:${b.length}`); }
  closed(): void { this.log.push('closed'); }
  acked(): void {}
}

const fl = (f: number) => [f & SYN && 'S', f & FIN && 'F', f & RST && 'R', f & ACK && '.'].filter(Boolean).join('');

function establish() {
  const w = world();
  const server = new Recorder();
  let serverConn: TcpConnection | undefined;
  w.b.tcp.listen('0.0.0.0', 80, {
    onSyn(conn) {
      conn.events = server;
      serverConn = conn;
      return 'accept';
    },
  });
  const client = new Recorder();
  const conn = w.a.tcp.connect(4, '10.0.0.1', 50000, '10.0.0.2', 80, client);
  w.net.scheduler.run();
  return { ...w, client, server, conn, serverConn: serverConn! };
}

test('three-way handshake: SYN, SYN-ACK, ACK with matching sequence numbers, one latency apart', () => {
  const { wire, client, server, conn, serverConn } = establish();
  assert.deepEqual(wire.map((x) => `${x.from}:${fl(x.seg.flags)}@${x.t}`), ['a:S@0', 'b:S.@100', 'a:.@200']);
  assert.equal(conn.state, 'ESTABLISHED');
  assert.equal(serverConn.state, 'ESTABLISHED');
  assert.deepEqual(client.log, ['established']);
  assert.deepEqual(server.log, ['established']);
  assert.equal(wire[1]!.seg.ack >>> 0, (wire[0]!.seg.seq + 1) >>> 0); // 32-bit sequence space
  assert.equal(conn.sndNxt, serverConn.rcvNxt);
  assert.equal(serverConn.sndNxt, conn.rcvNxt);
});

test('data flows in order and is acknowledged', () => {
  const { net, conn, server, serverConn } = establish();
  conn.sendData(new Uint8Array(10));
  conn.sendData(new Uint8Array(5));
  net.scheduler.run();
  assert.deepEqual(server.log, ['established', 'data:10', 'data:5']);
  assert.equal(conn.sndUna, conn.sndNxt);
  assert.equal(serverConn.rcvNxt, conn.sndNxt);
});

test('graceful close: FIN each way, the active closer waits 2·MSL in TIME_WAIT', () => {
  const { net, wire, conn, serverConn, client, server, a } = establish();
  wire.length = 0;
  conn.close();
  net.scheduler.run();
  assert.equal(conn.state, 'FIN-WAIT-2');
  assert.equal(serverConn.state, 'CLOSE-WAIT');
  assert.deepEqual(server.log, ['established', 'remoteClosed']);
  serverConn.close();
  net.scheduler.run();
  assert.equal(serverConn.state, 'CLOSED');
  assert.equal(conn.state, 'TIME-WAIT');
  assert.deepEqual(client.log, ['established', 'remoteClosed', 'closed']);
  assert.deepEqual(wire.map((x) => `${x.from}:${fl(x.seg.flags)}`), ['a:F.', 'b:.', 'b:F.', 'a:.']);
  assert.equal(a.tcp.connectionCount, 1);
  net.scheduler.advance(240_000_000);
  assert.equal(conn.state, 'CLOSED');
  assert.equal(a.tcp.connectionCount, 0);
});

test('simultaneous close passes through CLOSING', () => {
  const { net, conn, serverConn } = establish();
  conn.close();
  serverConn.close();
  net.scheduler.run();
  assert.equal(conn.state, 'TIME-WAIT');
  assert.equal(serverConn.state, 'TIME-WAIT');
});

test('abort sends RST; the peer reports reset', () => {
  const { net, conn, server, wire } = establish();
  wire.length = 0;
  conn.abort();
  net.scheduler.run();
  assert.deepEqual(wire.map((x) => fl(x.seg.flags)), ['R.']);
  assert.deepEqual(server.log, ['established', 'failed:reset']);
});

test('a SYN to a closed port is answered RST,ACK and the connect is refused', () => {
  const w = world();
  const client = new Recorder();
  w.a.tcp.connect(4, '10.0.0.1', 50000, '10.0.0.2', 81, client);
  w.net.scheduler.run();
  assert.deepEqual(client.log, ['failed:refused']);
  const rst = w.wire[1]!.seg;
  assert.equal(rst.flags, RST | ACK);
  assert.equal(rst.ack >>> 0, (w.wire[0]!.seg.seq + 1) >>> 0); // 32-bit sequence space
});

test('a SYN nobody answers is retransmitted at 3 s and 9 s and fails at 21 s', () => {
  const w = world();
  const client = new Recorder();
  w.a.tcp.connect(4, '10.0.0.1', 50000, '10.9.9.9', 80, client);
  w.net.scheduler.run();
  assert.deepEqual(w.wire.map((x) => x.t), [0, 3_000_000, 9_000_000]);
  assert.deepEqual(client.log, ['failed:timed-out']);
  assert.equal(w.net.scheduler.nowMicros, 21_000_000);
});

test('a deferred SYN gets no answer until acceptSyn()', () => {
  const w = world();
  let held: TcpConnection | undefined;
  const server = new Recorder();
  w.b.tcp.listen('10.0.0.2', 80, { onSyn(c) { c.events = server; held = c; return 'defer'; } });
  const client = new Recorder();
  w.a.tcp.connect(4, '10.0.0.1', 50000, '10.0.0.2', 80, client);
  w.net.scheduler.advance(1000);
  assert.equal(w.wire.length, 1);
  held!.acceptSyn();
  w.net.scheduler.run();
  assert.deepEqual(client.log, ['established']);
  assert.deepEqual(server.log, ['established']);
});

test('a new SYN with a higher sequence number reopens a TIME_WAIT tuple (RFC 1122 4.2.2.13)', () => {
  let reopenedRuns = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const w = world(seed);
    const accepted: TcpConnection[] = [];
    w.b.tcp.listen('0.0.0.0', 80, { onSyn(c) { c.events = new Recorder(); accepted.push(c); return 'accept'; } });
    const first = w.a.tcp.connect(4, '10.0.0.1', 50000, '10.0.0.2', 80, new Recorder());
    w.net.scheduler.run();
    accepted[0]!.close(); // the server closes first and keeps TIME_WAIT
    w.net.scheduler.run();
    first.close();
    w.net.scheduler.run();
    assert.equal(accepted[0]!.state, 'TIME-WAIT');
    const oldRcvNxt = accepted[0]!.rcvNxt;
    const client = new Recorder();
    const again = w.a.tcp.connect(4, '10.0.0.1', 50000, '10.0.0.2', 80, client);
    if (((again.iss - oldRcvNxt) | 0) <= 0) continue;
    reopenedRuns++;
    const t0 = w.net.scheduler.nowMicros;
    w.net.scheduler.run();
    assert.deepEqual(client.log, ['established'], `seed ${seed}`);
    assert.equal(accepted.length, 2);
    assert.equal(accepted[0]!.state, 'CLOSED');
    assert.ok(w.net.scheduler.nowMicros - t0 < 1000, 'no retransmission was needed');
  }
  assert.ok(reopenedRuns >= 10, `only ${reopenedRuns} seeds drew a higher ISN`);
});

test('determinism: one seed gives the same wire, byte for byte; another seed differs', () => {
  const run = (seed: number) => {
    const w = world(seed);
    w.b.tcp.listen('0.0.0.0', 80, { onSyn(c) { c.events = new Recorder(); return 'accept'; } });
    for (let i = 0; i < 20; i++) w.a.tcp.connect(4, '10.0.0.1', 50000 + i, '10.0.0.2', i % 2 ? 80 : 81, new Recorder());
    w.net.scheduler.run();
    return JSON.stringify(w.wire.map((x) => [x.t, x.from, x.seg.seq, x.seg.ack, x.seg.flags, x.seg.srcPort]));
  };
  assert.equal(run(5), run(5));
  assert.notEqual(run(5), run(6));
});

test('a host that is down neither sends nor receives', () => {
  const w = world();
  w.b.down = true;
  const client = new Recorder();
  w.b.tcp.listen('0.0.0.0', 80, { onSyn(c) { c.events = new Recorder(); return 'accept'; } });
  w.a.tcp.connect(4, '10.0.0.1', 50000, '10.0.0.2', 80, client);
  w.net.scheduler.run();
  assert.deepEqual(client.log, ['failed:timed-out']);
});
