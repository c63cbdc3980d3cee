/**
 * One client connection: registers it (the registry sends the welcome), dispatches its frames to
 * the registry, and unregisters it on close. Frames of one connection are handled one at a time,
 * as the original's per-connection task does (read, await the handling, read the next): while a
 * frame's handling waits (for the mutex, the mailbox or a full queue), the socket is paused, so
 * the wait shows as TCP backpressure on that client instead of an unbounded pile of pending work.
 */
import { performance } from 'node:perf_hooks';
import type { RawData, WebSocket } from 'ws';
import { encodeError, parseClientFrame } from '../../common/protocol.ts';
import { READY } from './bounded-channel.ts';
import type { Outbound } from './outbound.ts';
import type { Registry } from './registry.ts';
import { isInjectedPanic } from './panic.ts';

export interface ConnectionHooks {
  /** A frame's handling failed unexpectedly (a bug, never bad input): counted, connection kept. */
  onHandlerError?: (error: unknown) => void;
  /** Debug only (`--debug-fault connection`): sees each frame first, and may panic on it. */
  checkFrame?: (data: Buffer) => void;
  /** Debug only: spin this long before handling each frame (a deliberately slowed server). */
  debugDelayUs?: number;
}

/** Busy-waits, holding the event loop as real per-message work would. */
function spin(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until);
}

const BINARY_REFUSED = encodeError('binary-not-supported', 'this server speaks text frames only');
/** Stands in the backlog for a binary frame, so that its error keeps its place among the replies. */
const BINARY_FRAME = Buffer.alloc(0);

export function serveConnection(ws: WebSocket, registry: Registry, outbound: Outbound, hooks: ConnectionHooks = {}): void {
  let id = -1;
  let closed = false;
  /** Set when this connection's task panicked (debug fault): it ends without its cleanup. */
  let panicked = false;
  let busy = true; // until registered: frames that arrive before the id is known wait in the backlog
  const backlog: Buffer[] = [];

  // Error replies travel the same way as echoes (through the registry to the sender's own outbound),
  // so that in every model the replies to one client come in the order of its frames.
  const dispatch = (data: Buffer): Promise<void> => {
    if (hooks.debugDelayUs) spin(hooks.debugDelayUs);
    hooks.checkFrame?.(data);
    if (data === BINARY_FRAME) return registry.echo(id, BINARY_REFUSED);
    const command = parseClientFrame(data);
    switch (command.kind) {
      case 'echo':
        return registry.echo(id, command.payload);
      case 'broadcast':
        return registry.broadcast(id, command.payload);
      case 'send-to':
        return registry.sendTo(id, command.to, command.payload);
      case 'invalid':
        return registry.echo(id, encodeError(command.code, command.detail));
    }
  };

  /**
   * A panic ends this connection's task as a tokio panic would: the socket goes, and the cleanup
   * that would unregister it never runs, so its entry stays in the registry as a ghost.
   */
  const panic = (): void => {
    panicked = true;
    closed = true;
    backlog.length = 0;
    outbound.close();
    ws.terminate();
  };

  const failed = (error: unknown): void => {
    hooks.onHandlerError?.(error);
    if (isInjectedPanic(error)) panic();
    else drain();
  };

  /** Handles the backlog in order; synchronously while handling completes at once, else resumes later. */
  const drain = (): void => {
    busy = true;
    for (let data = backlog.shift(); data !== undefined && !closed; data = backlog.shift()) {
      let handled: Promise<void>;
      try {
        handled = dispatch(data);
      } catch (error) {
        hooks.onHandlerError?.(error);
        if (isInjectedPanic(error)) return panic();
        continue;
      }
      if (handled !== READY) {
        handled.then(drain, failed);
        return;
      }
    }
    backlog.length = 0;
    busy = false;
    if (!closed && ws.isPaused) ws.resume();
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    // ws hands frames over as one Buffer (binaryType is left at its default).
    backlog.push(isBinary ? BINARY_FRAME : (data as Buffer));
    if (!busy) drain();
    else if (!ws.isPaused) ws.pause();
  });

  ws.on('close', () => {
    closed = true;
    outbound.close();
    if (id !== -1 && !panicked) registry.unregister(id).catch((error: unknown) => hooks.onHandlerError?.(error));
  });

  // A socket error is followed by 'close'; listening keeps ws from throwing it.
  ws.on('error', () => {});

  registry.register(outbound).then(
    (assigned) => {
      id = assigned;
      if (closed) registry.unregister(assigned).catch((error: unknown) => hooks.onHandlerError?.(error));
      else drain();
    },
    (error: unknown) => {
      hooks.onHandlerError?.(error);
      ws.terminate();
    },
  );
}
