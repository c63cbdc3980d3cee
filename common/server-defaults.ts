/** Where a server listens and what it accepts unless told otherwise: the server CLI's and the bench's defaults. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
/** Largest accepted frame in bytes; larger ones close the connection with 1009. */
export const DEFAULT_MAX_PAYLOAD = 64 * 1024;
