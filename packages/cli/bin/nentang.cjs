#!/usr/bin/env node
'use strict'
// `nentang` on whatever Node the system has (Node 18, 20…): runs the CLI on the Node 24 this package brings, which the
// platform needs (isolated-vm, type-stripped sources). Kept to syntax every Node since 12 runs.
const { spawn } = require('node:child_process')
const { dirname, join } = require('node:path')

let node
try {
  node = join(dirname(require.resolve('node/package.json')), 'bin', 'node')
} catch {
  console.error('nentang: the Node 24 this package brings is missing; install the package again (npm i -g ./nentang-cli-<version>.tgz)')
  process.exit(1)
}
const main = join(__dirname, '..', 'dist', 'cli', 'nentang.js')
const child = spawn(node, ['--no-node-snapshot', main, ...process.argv.slice(2)], { stdio: 'inherit' })
// Ctrl-C reaches the CLI from the terminal itself; a signal sent to this process alone is passed on.
process.on('SIGINT', () => {})
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
child.on('error', (error) => {
  console.error(`nentang: could not start ${node}: ${error.message}`)
  process.exit(1)
})
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal)
  else process.exit(code === null ? 1 : code)
})
