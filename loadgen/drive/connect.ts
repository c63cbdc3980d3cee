/**
 * Opens the load generator's sockets with a bounded number of handshakes in flight. A client is
 * ready once the server's welcome frame has told it its id; handshake latency is measured from
 * the start of the connection attempt to the WebSocket 'open' event, and recorded for clients that
 * got their welcome. Each failure is counted once, with its cause.
 */
import WebSocket from 'ws';
import { parseServerControl } from '../../common/protocol.ts';
import { nowNs } from '../clock.ts';
import { wsDeflateOptions, type CompressionSettings } from '../../common/compression.ts';

export interface LoadClient {
  readonly index: number;
  readonly ws: WebSocket;
  /** Server-assigned id, from the welcome frame. */
  id: number;
  open: boolean;
  /** Set when we close it on purpose, so that its close is not counted as an error. */
  leaving: boolean;
  /** Set when churn is about to close it: no longer picked as a sender or a target. */
  retiring: boolean;
}

export interface ConnectHooks {
  /** A frame after the welcome. */
  onFrame(client: LoadClient, data: Buffer): void;
  onHandshake(durationNs: number): void;
  onError(cause: string): void;
  /** The socket closed without our asking; `cause` says how (socket error or the server's close code). */
  onLost(client: LoadClient, cause: string): void;
}

export interface ConnectOptions {
  readonly url: string;
  /** Several entry points (the fault proxies): client i connects to urls[i mod n] instead of url. */
  readonly urls?: readonly string[];
  readonly count: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Handshakes started per second at most (unpaced when absent). */
  readonly perSecond?: number;
  /** Aborted: no new handshake starts (those in flight finish). */
  readonly signal?: AbortSignal;
  /** Ask for permessage-deflate with these settings (off when absent). */
  readonly compression?: CompressionSettings;
}

/** Resolves with the clients that connected; failures are reported through hooks.onError. */
export async function connectClients(options: ConnectOptions, hooks: ConnectHooks): Promise<LoadClient[]> {
  const clients: LoadClient[] = [];
  let next = 0;
  const start = nowNs();
  const worker = async (): Promise<void> => {
    while (next < options.count && !options.signal?.aborted) {
      const index = next++;
      if (options.perSecond !== undefined) {
        const dueNs = start + (index / options.perSecond) * 1e9;
        const waitMs = (dueNs - nowNs()) / 1e6;
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
      const client = await connectClient(index, { ...options, url: urlFor(options, index) }, hooks);
      if (client) clients.push(client);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  return clients.sort((a, b) => a.index - b.index);
}

/** Where client `index` connects: its fault proxy when there are several entry points, else the server. */
export function urlFor(options: Pick<ConnectOptions, 'url' | 'urls'>, index: number): string {
  return options.urls && options.urls.length > 0 ? options.urls[index % options.urls.length]! : options.url;
}

/** Opens one client and waits for its welcome; undefined when it failed (reported through hooks.onError). */
export function connectClient(index: number, options: Pick<ConnectOptions, 'url' | 'timeoutMs' | 'compression'>, hooks: ConnectHooks): Promise<LoadClient | undefined> {
  return new Promise((resolve) => {
    const started = nowNs();
    let openedAt = 0;
    const ws = new WebSocket(options.url, { perMessageDeflate: options.compression ? wsDeflateOptions(options.compression) : false, handshakeTimeout: options.timeoutMs });
    const client: LoadClient = { index, ws, id: -1, open: false, leaving: false, retiring: false };
    let settled = false;
    /** The last socket error; the 'close' that follows it is where each failure is counted, once. */
    let lastError: string | undefined;
    let failure: string | undefined;

    const settle = (value: LoadClient | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(welcomeTimer);
      resolve(value);
    };
    const welcomeTimer = setTimeout(() => {
      failure = 'connect:no-welcome';
      ws.terminate();
    }, options.timeoutMs);

    ws.on('open', () => (openedAt = nowNs()));
    ws.on('message', (data: Buffer) => {
      if (client.open) {
        hooks.onFrame(client, data);
        return;
      }
      const control = parseServerControl(data.toString());
      if (control?.kind === 'welcome') {
        hooks.onHandshake(openedAt - started);
        client.id = control.id;
        client.open = true;
        settle(client);
      }
    });
    ws.on('error', (error: Error & { code?: string }) => (lastError = error.code ?? errorCause(error.message)));
    ws.on('close', (code: number) => {
      if (!settled) {
        hooks.onError(failure ?? (lastError ? `connect:${lastError}` : `connect:closed-before-welcome:${code}`));
        settle(undefined);
        return;
      }
      const wasOpen = client.open;
      client.open = false;
      if (wasOpen && !client.leaving) hooks.onLost(client, lastError ? `socket:${lastError}` : `closed-by-server:${code}`);
    });
  });
}

/** A short, stable cause for errors that carry no code (e.g. "Unexpected server response: 503"). */
function errorCause(message: string): string {
  const status = /Unexpected server response: (\d+)/.exec(message);
  if (status) return `http-${status[1]}`;
  if (/timed out/i.test(message)) return 'timeout';
  return message.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40);
}

/** Closes every open client with 1000 and waits (at most timeoutMs) for the closing handshakes. */
export async function closeClients(clients: readonly LoadClient[], timeoutMs: number): Promise<number> {
  const closing: Promise<void>[] = [];
  for (const client of clients) {
    client.leaving = true;
    if (client.ws.readyState === WebSocket.CLOSED) continue;
    closing.push(new Promise<void>((resolve) => client.ws.once('close', () => resolve())));
    client.ws.close(1000, 'run finished');
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    Promise.all(closing).then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
  ]);
  clearTimeout(timer);
  let forced = 0;
  if (timedOut) {
    for (const client of clients) {
      if (client.ws.readyState !== WebSocket.CLOSED) {
        client.ws.terminate();
        forced++;
      }
    }
  }
  return forced;
}
