// SQLite pass only: no database is involved.
import t from 'tap'
import ivm from 'isolated-vm'
import { createSpareIsolates } from '../../sandbox/worker/spare-isolate.ts'
import { within } from '../helpers/wait.ts'

const heapLimit = (isolate: ivm.Isolate): number => isolate.getHeapStatisticsSync().heap_size_limit

t.test('a spare is made for the memory limit last asked for, handed out once, with that limit', async (t) => {
  const spares = createSpareIsolates()
  t.teardown(() => spares.close())
  t.equal(await spares.take(32), undefined, 'none before any was asked for')
  spares.refill()
  await within(2000, async () => spares.ready())
  const blank = await spares.take(32)
  t.ok(blank, 'the spare is handed out')
  t.equal(blank!.memoryMb, 32)
  const reference = new ivm.Isolate({ memoryLimit: 32 })
  t.equal(heapLimit(blank!.isolate), heapLimit(reference), 'its heap limit is that of a new 32 MB isolate')
  reference.dispose()
  t.equal(await spares.take(32), undefined, 'never handed out twice')
  t.same(await blank!.context.eval('Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith("__"))', { copy: true }), [], 'it has never run anything: an empty global')
  blank!.isolate.dispose()
})

t.test('a spare of another memory limit is not given; it makes way for the limit asked for', async (t) => {
  const spares = createSpareIsolates()
  t.teardown(() => spares.close())
  await spares.take(32)
  spares.refill()
  await within(2000, async () => spares.ready())
  t.equal(await spares.take(64), undefined, 'a 64 MB plugin does not get the 32 MB spare')
  t.notOk(spares.ready(), 'the 32 MB spare was dropped')
  spares.refill()
  await within(2000, async () => spares.ready())
  const blank = await spares.take(64)
  t.equal(blank?.memoryMb, 64)
  blank?.isolate.dispose()
})

t.test('a take while the spare is being made waits for it instead of making another', async (t) => {
  const spares = createSpareIsolates()
  t.teardown(() => spares.close())
  await spares.take(16)
  spares.refill()
  await new Promise((resolve) => setTimeout(resolve, 0)) // the constructor ran; the context is on its way
  const blank = await spares.take(16)
  t.equal(blank?.memoryMb, 16, 'the spare being made is handed out once ready')
  blank?.isolate.dispose()
})

t.test('close disposes the spare', async (t) => {
  const spares = createSpareIsolates()
  await spares.take(16)
  spares.refill()
  await within(2000, async () => spares.ready())
  spares.close()
  t.notOk(spares.ready())
  spares.refill()
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.notOk(spares.ready(), 'no spare is made after close')
})
