import { storage } from 'nentang:sdk'

const hits = storage.collection('hits')
let n = 0

export async function readWrite () {
  const written = await hits.insert({ n: ++n })
  const read = await hits.get(written._id)
  return { n: read.n }
}
