import { readFileSync, realpathSync } from 'node:fs'
import { posix, resolve, sep } from 'node:path'
import type ivm from 'isolated-vm'

export const SDK_SPECIFIER = 'nentang:sdk'

/** A load failure whose message is safe to show the plugin's developer. */
export class PluginLoadError extends Error {
  override name = 'PluginLoadError'
}

/**
 * Compiles a plugin's ES modules into an isolate: the package's own files (relative imports that
 * stay inside the package folder, links resolved) and `nentang:sdk`. Any other import fails the
 * load with a message naming it.
 */
export function createModuleLoader (isolate: ivm.Isolate, dir: string, sdk: ivm.Module) {
  const root = realpathSync(dir)
  const byPath = new Map<string, ivm.Module>()
  const pathOf = new Map<ivm.Module, string>()

  function compile (relativePath: string): ivm.Module {
    const cached = byPath.get(relativePath)
    if (cached !== undefined) return cached
    let file: string
    try {
      file = realpathSync(resolve(root, relativePath))
    } catch {
      throw new PluginLoadError(`cannot find module './${relativePath}' in the package`)
    }
    if (!file.startsWith(root + sep)) throw new PluginLoadError(`'./${relativePath}' is outside the package`)
    let module: ivm.Module
    try {
      module = isolate.compileModuleSync(readFileSync(file, 'utf8'), { filename: `plugin:///${relativePath}` })
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
