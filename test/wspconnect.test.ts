/** WSPConnect: blocking and non-blocking, its states and error codes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AF_INET, AF_INET6, IPPROTO_IPV6, IPPROTO_UDP, IPV6_V6ONLY, SOCK_DGRAM, VirtualNetwork, WSAEADDRINUSE,
  WSAEADDRNOTAVAIL, WSAEALREADY, WSAECONNREFUSED, WSAEFAULT, WSAEINVAL, WSAEISCONN, WSAENETDOWN, WSAENETUNREACH,
  WSAENOTCONN, WSAENOTSOCK, WSAEOPNOTSUPP, WSAETIMEDOUT, WSAEWOULDBLOCK,
} from '../src/index.js';
import {
  accept, attempt, bind, connect, expectError, listener, ok, pair, setInt, setNonBlocking, soError,
  startConnect, tcp, v4, v6,
} from './helpers.js';

const SERVER = v4('10.0.0.1', 80);

describe('WSPConnect', () => {
  test('blocking: returns 0 once the handshake has finished, with virtual time spent on it', () => {
    const { net, server, client } = pair();
    listener(server, SERVER, 5);
    const c = tcp(client);
    assert.equal(connect(client, c, SERVER).ret, 0);
    assert.equal(net.now(), 0.2, 'one round trip at 0.1 ms each way');
    const peer = { family: 0, address: '', port: 0 };
    ok((e) => client.WSPGetPeerName(c, peer, { value: 16 }, e));
    assert.deepEqual(peer, { family: AF_INET, address: '10.0.0.1', port: 80 });
  });

  test('the handshake is a real SYN, SYN-ACK, ACK exchange with sequence numbers', () => {
    const { net, server, client } = pair();
    listener(server, SERVER, 5);
    const segs: { from: string; flags: number; seq: number; ack: number }[] = [];
    net.onPacket((p) => segs.push({ from: p.from, flags: p.segment.flags, seq: p.segment.seq, ack: p.segment.ack }));
    connect(client, tcp(client), SERVER);
    assert.deepEqual(segs.map((s) => [s.from, s.flags]), [['client', 0x02], ['server', 0x12], ['client', 0x10]]);
    assert.equal(segs[1]!.ack, (segs[0]!.seq + 1) >>> 0);
    assert.equal(segs[2]!.ack, (segs[1]!.seq + 1) >>> 0);
    assert.equal(segs[2]!.seq, (segs[0]!.seq + 1) >>> 0);
  });

  test('non-blocking: WSAEWOULDBLOCK, then SO_ERROR 0 and connected once the network ran', () => {
    const { net, server, client } = pair();
    listener(server, SERVER, 5);
    const c = startConnect(client, SERVER);
    net.run();
    assert.equal(soError(client, c), 0);
    assert.equal(client.inspect(c)!.phase, 'connected');
  });

  test('WSAEALREADY: a second connect while one is pending', () => {
    const { server, client } = pair();
    listener(server, SERVER, 5);
    const c = startConnect(client, SERVER);
    expectError((e) => client.WSPConnect(c, SERVER, 16, null, null, null, null, e), WSAEALREADY);
  });

  test('WSAEISCONN: already connected', () => {
    const { server, client } = pair();
    listener(server, SERVER, 5);
    const c = tcp(client);
    connect(client, c, SERVER);
    expectError((e) => client.WSPConnect(c, SERVER, 16, null, null, null, null, e), WSAEISCONN);
  });

  test('WSAEINVAL: connect on a listening socket', () => {
    const { server } = pair();
    const s = listener(server, SERVER, 5);
    expectError((e) => server.WSPConnect(s, v4('10.0.0.2', 80), 16, null, null, null, null, e), WSAEINVAL);
  });

  test('WSAECONNREFUSED: nothing listening (the peer answers RST)', () => {
    const { client } = pair();
    expectError((e) => client.WSPConnect(tcp(client), SERVER, 16, null, null, null, null, e), WSAECONNREFUSED);
  });

  test('SO_ERROR: a blocking connect that fails leaves it 0; a non-blocking one leaves its error, which a new attempt keeps and a connection clears (Wine test_select)', () => {
    const { net, server, client } = pair();
    const b = tcp(client);
    assert.equal(connect(client, b, SERVER).err, WSAECONNREFUSED);
    assert.equal(soError(client, b), 0);
    const c = startConnect(client, SERVER);
    net.run();
    assert.equal(soError(client, c), WSAECONNREFUSED);
    listener(server, SERVER, 5);
    expectError((e) => client.WSPConnect(c, SERVER, 16, null, null, null, null, e), WSAEWOULDBLOCK);
    assert.equal(soError(client, c), WSAECONNREFUSED, 'a new attempt does not clear it');
    net.run();
    assert.equal(client.inspect(c)!.phase, 'connected');
    assert.equal(soError(client, c), 0, 'the connection does');
  });

  test('WSPGetPeerName while connecting: the peer being connected to (Wine test_connecting_socket)', () => {
    const { client } = pair();
    const c = startConnect(client, v4('10.9.9.9', 80));
    const peer = { family: 0, address: '', port: 0 };
    ok((e) => client.WSPGetPeerName(c, peer, { value: 16 }, e));
    assert.deepEqual(peer, { family: AF_INET, address: '10.9.9.9', port: 80 });
  });

  test('v4-mapped destinations: a v6-only socket (the default) has no route to one (WSAENETUNREACH, by decision); with IPV6_V6ONLY off it connects over IPv4', () => {
    const { server, client } = pair();
    listener(server, SERVER, 5);
    const mapped = v6('::ffff:10.0.0.1', 80);
    expectError((e) => client.WSPConnect(tcp(client, AF_INET6), mapped, 28, null, null, null, null, e), WSAENETUNREACH);
    const c = tcp(client, AF_INET6);
    assert.equal(setInt(client, c, IPPROTO_IPV6, IPV6_V6ONLY, 0).ret, 0);
    assert.equal(connect(client, c, mapped).ret, 0);
    const name = { family: 0, address: '', port: 0 };
    ok((e) => client.WSPGetSockName(c, name, { value: 28 }, e));
    assert.equal(name.address, '::ffff:10.0.0.2');
  });

  test('a socket whose connect was refused can connect again', () => {
    const { server, client } = pair();
    const c = tcp(client);
    assert.equal(connect(client, c, SERVER).err, WSAECONNREFUSED);
    listener(server, SERVER, 5);
    assert.equal(connect(client, c, SERVER).ret, 0);
  });

  test('an unbound socket is bound implicitly to an ephemeral port and the source address', () => {
    const { server, client } = pair();
    listener(server, SERVER, 5);
    const c = tcp(client);
    connect(client, c, SERVER);
    const name = { family: 0, address: '', port: 0 };
    ok((e) => client.WSPGetSockName(c, name, { value: 16 }, e));
    assert.equal(name.address, '10.0.0.2');
    assert.ok(name.port >= 49152 && name.port <= 65535);
  });

  test('loopback: a host connects to itself on 127.0.0.1 and ::1', () => {
    const { server } = pair();
    const s4 = listener(server, v4('127.0.0.1', 80), 5);
    const s6 = listener(server, v6('::1', 80), 5);
    assert.equal(connect(server, tcp(server), v4('127.0.0.1', 80)).ret, 0);
    assert.equal(connect(server, tcp(server, AF_INET6), v6('::1', 80)).ret, 0);
    assert.ok(accept(server, s4).ret > 0);
    assert.ok(accept(server, s6).ret > 0);
  });

  test('WSAETIMEDOUT: nobody at the address; SYN retransmitted twice, 21 s of virtual time', () => {
    const { net, client } = pair();
    let syns = 0;
    net.onPacket((p) => { if (p.segment.flags === 0x02) syns++; });
    expectError((e) => client.WSPConnect(tcp(client), v4('10.9.9.9', 80), 16, null, null, null, null, e), WSAETIMEDOUT);
    assert.equal(syns, 3);
    assert.equal(net.now(), 21000);
  });

  test('WSAEADDRNOTAVAIL: the wildcard address or port 0 as destination', () => {
    const { client } = pair();
    expectError((e) => client.WSPConnect(tcp(client), v4('0.0.0.0', 80), 16, null, null, null, null, e), WSAEADDRNOTAVAIL);
    expectError((e) => client.WSPConnect(tcp(client), v4('10.0.0.1', 0), 16, null, null, null, null, e), WSAEADDRNOTAVAIL);
  });

  test('WSAEFAULT: namelen too short; WSAENOTSOCK: not a socket', () => {
    const { client } = pair();
    expectError((e) => client.WSPConnect(tcp(client), SERVER, 8, null, null, null, null, e), WSAEFAULT);
    expectError((e) => client.WSPConnect(77, SERVER, 16, null, null, null, null, e), WSAENOTSOCK);
  });

  test('WSAEOPNOTSUPP: QOS asked for', () => {
    const { client } = pair();
    expectError((e) => client.WSPConnect(tcp(client), SERVER, 16, null, null, {} as never, null, e), WSAEOPNOTSUPP);
  });

  test('WSAEADDRINUSE: an explicitly bound socket whose 4-tuple is still in TIME_WAIT', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 5);
    const c = tcp(client);
    bind(client, c, v4('10.0.0.2', 5555));
    connect(client, c, SERVER);
    const a = accept(server, s).ret;
    ok((e) => client.WSPCloseSocket(c, e)); // active close: the client side keeps TIME_WAIT
    ok((e) => server.WSPCloseSocket(a, e));
    net.run();
    const again = tcp(client);
    assert.equal(bind(client, again, v4('10.0.0.2', 5555)).ret, 0, 'bind does not look at TIME_WAIT');
    expectError((e) => client.WSPConnect(again, SERVER, 16, null, null, null, null, e), WSAEADDRINUSE);
    net.advance(240_000);
    assert.equal(connect(client, again, SERVER).ret, 0, 'after 2 MSL the tuple is free');
  });

  test('implicit binds skip ports whose tuple is in TIME_WAIT', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 5);
    const used = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const c = tcp(client);
      assert.equal(connect(client, c, SERVER).ret, 0);
      const name = { family: 0, address: '', port: 0 };
      ok((e) => client.WSPGetSockName(c, name, { value: 16 }, e));
      assert.ok(!used.has(name.port));
      used.add(name.port);
      const a = accept(server, s).ret;
      ok((e) => client.WSPCloseSocket(c, e));
      ok((e) => server.WSPCloseSocket(a, e));
      net.run();
    }
  });

  test('WSAENETDOWN while the host network is down', () => {
    const net = new VirtualNetwork();
    const h = net.addHost({ addresses: ['10.0.0.2'] });
    const c = tcp(h.provider);
    h.setNetworkDown(true);
    expectError((e) => h.provider.WSPConnect(c, SERVER, 16, null, null, null, null, e), WSAENETDOWN);
  });

  test('datagram sockets: connect sets the default peer without a handshake', () => {
    const { client } = pair();
    const u = ok((e) => client.WSPSocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, null, 0, 0, e));
    const peer = { family: 0, address: '', port: 0 };
    expectError((e) => client.WSPGetPeerName(u, peer, { value: 16 }, e), WSAENOTCONN);
    assert.equal(connect(client, u, v4('10.0.0.1', 53)).ret, 0);
    ok((e) => client.WSPGetPeerName(u, peer, { value: 16 }, e));
    assert.equal(peer.port, 53);
  });

  test('closing a connecting socket abandons the attempt', () => {
    const { net, server, client } = pair();
    const s = listener(server, SERVER, 5);
    const c = startConnect(client, SERVER);
    ok((e) => client.WSPCloseSocket(c, e));
    net.run();
    // The SYN was already on its way: the server answered SYN-ACK, the client (without a TCB)
    // answered RST, and the half-open request left the queue without ever being indicated.
    assert.equal(server.inspect(s)!.listen!.queueLength, 0);
    assert.equal(server.inspect(s)!.listen!.stats.withdrawn, 1);
    setNonBlocking(server, s);
    const r = attempt((e) => server.WSPAccept(s, null, null, null, 0, e));
    assert.equal(r.err, WSAEWOULDBLOCK);
  });
});
