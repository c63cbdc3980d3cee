import { encodeError } from '../../common/protocol.ts';

/** The error frame a sender gets when it addresses a client that is not connected. */
export function unknownClientFrame(to: number): string {
  return encodeError('unknown-client', `no client with id ${to} is connected`);
}
