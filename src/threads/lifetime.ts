/**
 * What becomes of a worker's sockets when the worker ends (docs/host-network.md, "Blocking calls
 * from threads"): a worker is to its sockets what a process is on Windows, where the handles a
 * process still holds when it exits are closed for it by the system. Closing the last handle of a
 * socket is what closesocket does with the default SO_LINGER: a connection with unread received
 * data (or one still connecting, or one whose linger is on with a zero time-out) is reset, any
 * other is closed gracefully — the data already queued is still sent, then FIN. A lingering close
 * (linger on, a time-out other than zero) cannot block anything at process exit: it is closed
 * gracefully in the background, as with linger off.
 */
import type { ChannelLike } from './job.js';

/** Closes the sockets `channel`'s worker made and still holds (not those it closed, nor a handle now another socket's). */
export function releaseSockets(channel: ChannelLike): void {
  const provider = channel.provider;
  for (const [handle, sock] of channel.sockets) {
    if (provider.core.lookup(handle) !== sock) continue;
    try {
      if (sock.linger.onoff !== 0 && sock.linger.seconds !== 0) sock.linger = Object.freeze({ onoff: 0, seconds: 0 });
      provider.WSPCloseSocket(handle, { value: 0 });
    } catch {
      // one socket that cannot close does not keep the others open
    }
  }
  channel.sockets.clear();
}
