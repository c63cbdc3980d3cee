/**
 * The body the HTTP side traffic posts to POST /broadcast, so that the load generator can tell its
 * frames from probes (probes start with E, B or T) and count their deliveries.
 */
export const ADMIN_BROADCAST_PREFIX = 'admin-broadcast';
export const ADMIN_BROADCAST_BODY = `${ADMIN_BROADCAST_PREFIX} from the HTTP side traffic`;
