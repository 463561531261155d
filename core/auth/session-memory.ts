/**
 * Sessions ended this long ago or less are kept in a user's state and their bearer tokens refused; it is longer than
 * the longest bearer token lifetime (NENTANG_TOKEN_TTL ≤ 7 days), so no token of an ended session outlives the memory.
 */
export const ENDED_SESSION_MEMORY_MS = 7 * 24 * 3600_000 + 3600_000
