/**
 * Folding for search: lower case, letters without their marks (`Nguyễn Văn Đức` → `nguyen van duc`). The same on
 * both databases: `nentang_fold(text)` is this function registered on every SQLite connection, and on PostgreSQL the
 * same steps in SQL (migration 0014): lower case, decomposed (NFD), combining marks removed, `đ` → `d`. The map
 * below is what migration 0010 first spelled out for `translate`; its down migration still needs it.
 */
const BASES: Record<string, string> = { a: 'a', ă: 'a', â: 'a', e: 'e', ê: 'e', i: 'i', o: 'o', ô: 'o', ơ: 'o', u: 'u', ư: 'u', y: 'y' }
const TONES = ['', '\u0300', '\u0301', '\u0303', '\u0309', '\u0323']

const map = new Map<string, string>([['đ', 'd'], ['Đ', 'd']])
for (const [letter, base] of Object.entries(BASES)) {
  for (const tone of TONES) {
    const lower = (letter + tone).normalize('NFC')
    if (lower !== base) map.set(lower, base)
    map.set(lower.toUpperCase(), base)
  }
}

/** The characters folding replaces, and what each becomes (one for one, for PostgreSQL's `translate`). */
export const FOLD_FROM = [...map.keys()].join('')
export const FOLD_TO = [...map.values()].join('')

export function fold (text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd')
}
