/**
 * A Winsock client written as C is written: WSAStartup, getaddrinfo, socket, connect, send,
 * recv, closesocket, freeaddrinfo, WSACleanup, every result checked, over `winsock-spi/ws2`
 * (a catalogue with this host's provider, and its DNS as the namespace provider). It finds its
 * server by name ("echo.example") on the virtual network.
 *
 * The server is another program on another virtual host, written as a Win32 program with a
 * window is: WSAAsyncSelect, and a message loop that handles FD_ACCEPT, FD_READ and FD_CLOSE. Its
 * "window" is a message queue whose loop runs inside the simulation (each posted message is
 * handled as an event of the virtual network, after the call that posted it), so the client's
 * blocking calls, which run the simulation until they can complete, find it answering, as two
 * processes would.
 *
 * Run: npm run build:examples && node build/run/examples/ws2-client.js
 */
import {
  AF_INET, FD_ACCEPT, FD_CLOSE, FD_READ, INVALID_SOCKET, SOCK_STREAM, SOCKET_ERROR, VirtualNameSource, VirtualNetwork,
  errorName, type ADDRINFOW,
} from '../src/index.js';
import { Catalog, Ws2 } from '../src/ws2/index.js';
import { isMain } from './spi-helpers.js';

export type Log = (line: string) => void;

const WM_SOCKET = 0x0400 + 1;
const WSAGETSELECTEVENT = (lParam: number): number => lParam & 0xffff;
const WSAGETSELECTERROR = (lParam: number): number => lParam >>> 16;
const MAKEWORD = (lo: number, hi: number): number => (lo & 0xff) | ((hi & 0xff) << 8);

/**
 * The echo server: a message-driven program on `ws`. `post` is its window: a message posted to it
 * is handled by `wndProc` later, never inside the provider's call that posted it.
 */
function startMessageServer(ws: Ws2, post: (deliver: () => void) => void, log: Log): void {
  const wndProc = (msg: number, s: number, lParam: number): void => {
    if (msg !== WM_SOCKET) return;
    if (WSAGETSELECTERROR(lParam) !== 0) {
      log(`server  socket ${s}: error ${errorName(WSAGETSELECTERROR(lParam))}`);
      ws.closesocket(s);
      return;
    }
    switch (WSAGETSELECTEVENT(lParam)) {
      case FD_ACCEPT: {
        const a = ws.accept(s, null, null);
        if (a === INVALID_SOCKET) return; // another message took it
        ws.WSAAsyncSelect(a, window, WM_SOCKET, FD_READ | FD_CLOSE);
        log(`server  accepted socket ${a}`);
        return;
      }
      case FD_READ: {
        const buf = new Uint8Array(4096);
        const n = ws.recv(s, buf, buf.length, 0);
        if (n > 0) ws.send(s, buf, n, 0);
        return;
      }
      case FD_CLOSE:
        log(`server  socket ${s} closed by its peer`);
        ws.closesocket(s);
        return;
    }
  };
  const window = (msg: number, wParam: number, lParam: number): boolean => {
    post(() => wndProc(msg, wParam, lParam));
    return true;
  };
  const l = ws.socket(AF_INET, SOCK_STREAM, 0);
  if (ws.bind(l, { family: AF_INET, address: '0.0.0.0', port: 7 }, 16) !== 0 || ws.listen(l, 16) !== 0) {
    throw new Error(`the server could not listen: ${errorName(ws.WSAGetLastError())}`);
  }
  ws.WSAAsyncSelect(l, window, WM_SOCKET, FD_ACCEPT);
  log('server  echo.example listening on port 7');
}

/** The client, as C: returns 0 on success, 1 on failure (as main would), printing as it goes. */
export function client(ws: Ws2, host: string, port: string, message: string, printf: Log): number {
  const wsaData = { wVersion: 0, wHighVersion: 0, szDescription: '', szSystemStatus: '' };
  const err = ws.WSAStartup(MAKEWORD(2, 2), wsaData);
  if (err !== 0) {
    printf(`WSAStartup failed: ${errorName(err)}`);
    return 1;
  }
  const hints = { ai_family: AF_INET, ai_socktype: SOCK_STREAM, ai_protocol: 0, ai_flags: 0 };
  const result: { value: ADDRINFOW | null } = { value: null };
  const gai = ws.getaddrinfo(host, port, hints, result);
  if (gai !== 0 || result.value === null) {
    printf(`getaddrinfo failed: ${errorName(gai)}`);
    ws.WSACleanup();
    return 1;
  }
  const ai = result.value;
  const s = ws.socket(ai.ai_family, ai.ai_socktype, ai.ai_protocol);
  if (s === INVALID_SOCKET) {
    printf(`socket failed: ${errorName(ws.WSAGetLastError())}`);
    ws.freeaddrinfo(ai);
    ws.WSACleanup();
    return 1;
  }
  const address = { value: '' };
  ws.WSAAddressToStringW(ai.ai_addr, ai.ai_addrlen, null, address, { value: 64 });
  if (ws.connect(s, ai.ai_addr, ai.ai_addrlen) === SOCKET_ERROR) {
    printf(`connect to ${address.value} failed: ${errorName(ws.WSAGetLastError())}`);
    ws.closesocket(s);
    ws.freeaddrinfo(ai);
    ws.WSACleanup();
    return 1;
  }
  ws.freeaddrinfo(ai);
  printf(`connected to ${host} (${address.value})`);
  const out = new TextEncoder().encode(message);
  const sent = ws.send(s, out, out.length, 0);
  if (sent === SOCKET_ERROR) {
    printf(`send failed: ${errorName(ws.WSAGetLastError())}`);
    ws.closesocket(s);
    ws.WSACleanup();
    return 1;
  }
  printf(`sent ${sent} bytes`);
  ws.shutdown(s, 1 /* SD_SEND */);
  const buf = new Uint8Array(4096);
  let echoed = '';
  for (;;) {
    const n = ws.recv(s, buf, buf.length, 0);
    if (n === SOCKET_ERROR) {
      printf(`recv failed: ${errorName(ws.WSAGetLastError())}`);
      ws.closesocket(s);
      ws.WSACleanup();
      return 1;
    }
    if (n === 0) break;
    echoed += new TextDecoder().decode(buf.subarray(0, n));
  }
  printf(`received "${echoed}"`);
  ws.closesocket(s);
  ws.WSACleanup();
  return echoed === message ? 0 : 1;
}

/** The whole run on a fresh virtual network: the server host, the client host, and the client. */
export function runWs2Client(message = 'hello from a C-shaped client', log: Log = () => {}, host = 'echo.example'): number {
  const net = new VirtualNetwork({ seed: 7 });
  const serverHost = net.addHost({ name: 'echo.example', addresses: ['10.0.0.1'] });
  const clientHost = net.addHost({ name: 'client', addresses: ['10.0.0.2'] });
  const scheduler = net.net.scheduler;

  const serverCatalog = new Catalog();
  serverCatalog.installBase(serverHost.provider);
  const server = new Ws2(serverCatalog);
  server.WSAStartup(MAKEWORD(2, 2), {});
  startMessageServer(server, (deliver) => { scheduler.schedule(0, deliver, undefined); }, log);

  const catalog = new Catalog();
  catalog.installBase(clientHost.provider);
  const ws = new Ws2(catalog, { names: [new VirtualNameSource(clientHost, net.dns)] });
  const code = client(ws, host, '7', message, (line) => log(`client  ${line}`));
  log(`client  exit code ${code} at ${(scheduler.nowMicros / 1000).toFixed(3)} ms of virtual time`);
  return code;
}

if (isMain(import.meta.url)) {
  process.exitCode = runWs2Client(undefined, (line) => console.log(line));
}
