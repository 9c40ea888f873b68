/**
 * Pulls expire after 2 s, so the server's idle heartbeats come every second and an ordered consumer
 * lost with a restarted server or a failed cluster node is recreated within seconds (the client's
 * default, 30 s, leaves a read hanging for a minute).
 */
export const PULL_EXPIRES_MS = 2_000;
