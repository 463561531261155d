import { readFileSync, realpathSync } from 'node:fs'
import { posix, resolve, sep } from 'node:path'
import type ivm from 'isolated-vm'

export const SDK_SPECIFIER = 'nentang:sdk'

/** A load failure whose message is safe to show the plugin's developer. */
export class PluginLoadError extends Error {
  override name = 'PluginLoadError'
}

/**
 * Module texts of registry packages already read, by `digest/path`: a package's folder is named by its SHA-256 and
 * never changes, and every unit's isolate of a plugin loads the same files (reading and resolving them again cost a
 * commune's first request ~1 ms of the worker's thread, measured at national onboarding). Folders without a digest
 * (a developer's, reloaded as it changes) are read every time.
 */
const sources = new Map<string, string>()
let sourceChars = 0
const SOURCE_CHARS = 32 * 1024 * 1024

function remembered (digest: string | undefined, relativePath: string, read: () => string): string {
  if (digest === undefined) return read()
  const key = `${digest}/${relativePath}`
  let text = sources.get(key)
  if (text === undefined) {
    text = read()
    if (sourceChars + text.length > SOURCE_CHARS) {
      sources.clear()
      sourceChars = 0
    }
    sources.set(key, text)
    sourceChars += text.length
  }
  return text
}

/**
 * Compiles a plugin's ES modules into an isolate: the package's own files (relative imports that
 * stay inside the package folder, links resolved) and `nentang:sdk`. Any other import fails the
 * load with a message naming it. `digest`: the package's SHA-256 when `dir` is its unpacked, unchanging folder.
 */
export function createModuleLoader (isolate: ivm.Isolate, dir: string, sdk: ivm.Module, digest?: string) {
  let root: string | undefined
  const byPath = new Map<string, ivm.Module>()
  const pathOf = new Map<ivm.Module, string>()

  function compile (relativePath: string): ivm.Module {
    const cached = byPath.get(relativePath)
    if (cached !== undefined) return cached
    const source = remembered(digest, relativePath, () => {
      root ??= realpathSync(dir)
      let file: string
      try {
        file = realpathSync(resolve(root, relativePath))
      } catch {
        throw new PluginLoadError(`cannot find module './${relativePath}' in the package`)
      }
      if (!file.startsWith(root + sep)) throw new PluginLoadError(`'./${relativePath}' is outside the package`)
      return readFileSync(file, 'utf8')
    })
    let module: ivm.Module
    try {
      module = isolate.compileModuleSync(source, { filename: `plugin:///${relativePath}` })
    } catch (error) {
      throw new PluginLoadError(`cannot compile ./${relativePath}: ${(error as Error).message}`)
    }
    byPath.set(relativePath, module)
    pathOf.set(module, relativePath)
    return module
  }

  function resolveImport (specifier: string, referrer: ivm.Module): ivm.Module {
    if (specifier === SDK_SPECIFIER) return sdk
    if (!specifier.startsWith('./') && !specifier.startsWith('../')) {
      throw new PluginLoadError(`a plugin may import its own files and '${SDK_SPECIFIER}' only, not '${specifier}'`)
    }
    const from = pathOf.get(referrer) ?? ''
    const target = posix.normalize(posix.join(posix.dirname(from), specifier))
    if (target.startsWith('../') || target === '..' || posix.isAbsolute(target)) throw new PluginLoadError(`'${specifier}' (from ./${from}) is outside the package`)
    return compile(target)
  }

  return {
    /**
     * Compiles, links and evaluates the main module; returns its namespace. Compiling and linking
     * run no plugin code and happen on this thread; evaluating runs the plugin's top-level code, on
     * isolated-vm's threads under the plugin's time limit, so it never blocks the worker's thread.
     */
    async load (context: ivm.Context, main: string, timeoutMs: number): Promise<ivm.Reference<Record<string, unknown>>> {
      const module = compile(posix.normalize(main))
      module.instantiateSync(context, resolveImport)
      await module.evaluate({ timeout: timeoutMs })
      return module.namespace
    },
  }
}
