/**
 * Finds clients that vanished without a close frame (a pulled cable, a killed VM, a NAT that
 * forgot the flow): every interval each client gets a ping, and one that has not answered the
 * previous ping by then is terminated, so its close handler unregisters it. A client is removed
 * at most two intervals after it stops answering. Off by default: a client whose reader stopped
 * also stops answering pings, and the slow-consumer scenarios must still show the stall they exist
 * to show. A round that comes late (the event loop was blocked longer than half an interval)
 * terminates nobody: timers run before pending I/O, so the pongs that arrived meanwhile are not
 * read yet, and every client would look silent.
 */
import { performance } from 'node:perf_hooks';
import type { WebSocket, WebSocketServer } from 'ws';

export interface Heartbeat {
  readonly intervalMs: number;
  /** Clients terminated because they missed a pong, since the server started. */
  readonly terminated: number;
  /** Rounds of pings so far (a test counts intervals with it rather than timing them). */
  readonly ticks: number;
  stop(): void;
}

export function startHeartbeat(wss: WebSocketServer, intervalMs: number): Heartbeat {
  const answered = new WeakSet<WebSocket>();
  let terminated = 0;
  let ticks = 0;
  let lastTick = performance.now();
  wss.on('connection', (ws) => {
    answered.add(ws);
    ws.on('pong', () => answered.add(ws));
  });
  const timer = setInterval(() => {
    ticks++;
    const now = performance.now();
    const late = now - lastTick > intervalMs * 1.5;
    lastTick = now;
    for (const ws of wss.clients) {
      if (!late && !answered.has(ws)) {
        terminated++;
        ws.terminate();
        continue;
      }
      answered.delete(ws);
      ws.ping();
    }
  }, intervalMs);
  timer.unref();
  return {
    intervalMs,
    get terminated() {
      return terminated;
    },
    get ticks() {
      return ticks;
    },
    stop: () => clearInterval(timer),
  };
}
