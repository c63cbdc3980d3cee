/** A small real WebSocket client for tests: connects, learns its id, collects frames and the close code. */
import WebSocket from 'ws';

export interface TestClient {
  readonly ws: WebSocket;
  readonly id: number;
  /** Text frames received after the welcome. */
  readonly frames: string[];
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  /** Waits until at least n frames arrived (fails after timeoutMs). */
  waitForFrames(n: number, timeoutMs?: number): Promise<string[]>;
}

export async function connectTestClient(url: string): Promise<TestClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const frames: string[] = [];
  let onFrame: (() => void) | undefined;
  let welcomed = false;
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => {});
  const id = await new Promise<number>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      const welcome = /^\/welcome (\d+)$/.exec(text);
      if (welcome && !welcomed) {
        welcomed = true;
        resolve(Number(welcome[1]));
        return;
      }
      frames.push(text);
      onFrame?.();
    });
  });
  return {
    ws,
    id,
    frames,
    closed,
    waitForFrames(n: number, timeoutMs = 5000): Promise<string[]> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${n} frames, got ${frames.length}: ${JSON.stringify(frames.slice(0, 5))}`)), timeoutMs);
        const check = (): void => {
          if (frames.length >= n) {
            clearTimeout(timer);
            onFrame = undefined;
            resolve(frames);
          }
        };
        onFrame = check;
        check();
      });
    },
  };
}

/** Resolves after the event loop has had a moment to deliver what is in flight. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
