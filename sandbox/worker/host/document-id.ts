import { randomFillSync } from 'node:crypto'

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
const pool = Buffer.alloc(16 * 256)
let offset = pool.length

/**
 * A new document id: a UUID version 7 (RFC 9562), 48 bits of Unix milliseconds then 74 random bits.
 * Ids made close in time sort close together, so the documents' unique index grows at its end:
 * the inserts of one commit touch one index page instead of one each (random version 4 ids made a
 * storage write's commit append a page to the WAL per document, and read pages back as the index
 * outgrew SQLite's cache). The 74 random bits keep ids unguessable; the time in them is when the
 * document was created, which its row records beside it anyway (`created_at`).
 */
export function newDocumentId (now = Date.now()): string {
  if (offset === pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const b = pool.subarray(offset, offset + 16)
  offset += 16
  b[0] = Math.floor(now / 2 ** 40) & 0xff
  b[1] = Math.floor(now / 2 ** 32) & 0xff
  b[2] = (now >>> 24) & 0xff
  b[3] = (now >>> 16) & 0xff
  b[4] = (now >>> 8) & 0xff
  b[5] = now & 0xff
  b[6] = (b[6]! & 0x0f) | 0x70
  b[8] = (b[8]! & 0x3f) | 0x80
  let id = ''
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) id += '-'
    id += HEX[b[i]!]!
  }
  return id
}
