/**
 * What a host function's `now` answers when it cannot answer on the calling thread (PostgreSQL
 * storage, or SQLite before its connections are open): nothing has happened; ask `later`.
 */
export const LATER: unique symbol = Symbol('later')
