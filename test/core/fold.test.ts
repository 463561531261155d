import t from 'tap'
import { fold, FOLD_FROM } from '../../core/db/fold.ts'
import { startTestPlatform } from '../helpers/platform.ts'

t.test('search folding is the same in the database as in the code: every Vietnamese letter, and names', async (t) => {
  const p = await startTestPlatform(t)
  const { db } = p.platform.services
  const samples = [...FOLD_FROM, ...FOLD_FROM.toUpperCase(), 'Nguyễn Văn Đức', 'ĐẶNG THỊ NGỌC HÂN', 'Phường Hàng Bông', 'Nguyễn'.normalize('NFD'), 'Crème brûlée', 'Ñandú', 'Xã Ia Grai', '']
  const [row] = await db.read<{ folded: string }>(`select ${samples.map(() => 'nentang_fold(?)').join(" || '|' || ")} as folded`, samples)
  t.same(row!.folded.split('|'), samples.map(fold))
  t.equal(fold('Nguyễn Văn Đức'), 'nguyen van duc')
  t.equal(fold('ĐẶNG THỊ NGỌC HÂN'), 'dang thi ngoc han')
  t.equal(fold('Nguyễn'.normalize('NFD')), 'nguyen', 'typed with decomposed marks, folded the same')
})
