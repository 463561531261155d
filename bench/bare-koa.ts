// The baseline: Koa's hello-world, in its own process like the platform, printing its port.
import Koa from 'koa'

const app = new Koa()
app.use(async (ctx) => {
  ctx.body = { hello: 'world' }
})
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address()
  console.log(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }))
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
