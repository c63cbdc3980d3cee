/**
 * One client connection: registers it, sends the welcome frame, dispatches its frames to the
 * registry, and unregisters it on close. Frames of one connection are handled one at a time, as
 * the original's per-connection task does (read, await the handling, read the next): while a
 * frame's handling waits (for the mutex, the mailbox or a full queue), the socket is paused, so
 * the wait shows as TCP backpressure on that client instead of an unbounded pile of pending work.
 */
import type { RawData, WebSocket } from 'ws';
import { encodeError, encodeWelcome, parseClientFrame } from '../../common/protocol.ts';
import type { Outbound } from './outbound.ts';
import type { Registry } from './registry.ts';

export interface ConnectionHooks {
  /** A frame's handling failed unexpectedly (a bug, never bad input): counted, connection kept. */
  onHandlerError?: (error: unknown) => void;
}

const BINARY_REFUSED = encodeError('binary-not-supported', 'this server speaks text frames only');
/** Stands in the backlog for a binary frame, so that its error keeps its place (after the welcome). */
const BINARY_FRAME = Buffer.alloc(0);

export function serveConnection(ws: WebSocket, registry: Registry, outbound: Outbound, hooks: ConnectionHooks = {}): void {
  let id: number | undefined;
  let closed = false;
  let busy = true; // until registered: frames that arrive before the id is known wait in the backlog
  const backlog: Buffer[] = [];

  const dispatch = (data: Buffer): Promise<void> => {
    if (data === BINARY_FRAME) return outbound.send(BINARY_REFUSED);
    const command = parseClientFrame(data);
    switch (command.kind) {
      case 'echo':
        return registry.echo(id!, command.payload);
      case 'broadcast':
        return registry.broadcast(id!, command.payload);
      case 'send-to':
        return registry.sendTo(id!, command.to, command.payload);
      case 'invalid':
        return outbound.send(encodeError(command.code, command.detail));
    }
  };

  const drainBacklog = async (): Promise<void> => {
    busy = true;
    for (let data = backlog.shift(); data !== undefined && !closed; data = backlog.shift()) {
      try {
        await dispatch(data);
      } catch (error) {
        hooks.onHandlerError?.(error);
      }
    }
    backlog.length = 0;
    busy = false;
    if (!closed && ws.isPaused) ws.resume();
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    // ws hands frames over as one Buffer (binaryType is left at its default).
    backlog.push(isBinary ? BINARY_FRAME : (data as Buffer));
    if (busy) {
      if (!ws.isPaused) ws.pause();
      return;
    }
    void drainBacklog();
  });

  ws.on('close', () => {
    closed = true;
    outbound.close();
    if (id !== undefined) void registry.unregister(id);
  });

  // A socket error is followed by 'close'; listening keeps ws from throwing it.
  ws.on('error', () => {});

  void registry.register(outbound).then((assigned) => {
    id = assigned;
    if (closed) {
      void registry.unregister(assigned);
      return;
    }
    void outbound.send(encodeWelcome(assigned));
    void drainBacklog();
  });
}
