import { useState } from 'preact/hooks'
import { api } from './api.js'
import { t } from './i18n.js'
import { ErrorBox, html, Loading, Section, useLoad } from './ui.js'

/** One unit of the tree, its children fetched when it is opened. */
function TreeNode ({ code, name }) {
  const [open, setOpen] = useState(false)
  const [children, setChildren] = useState(undefined)
  const [error, setError] = useState(undefined)
  async function toggle () {
    if (!open && children === undefined) {
      try {
        setChildren((await api('GET', `/api/v1/tenants/${code}/children`)).items)
      } catch (failure) {
        setError(failure)
      }
    }
    setOpen(!open)
  }
  return html`<li role="treeitem" aria-expanded=${open}>
    <button type="button" class="twisty" onClick=${toggle} aria-label=${t(open ? 'units.collapse' : 'units.expand', { name })}>${open ? '▾' : '▸'}</button>
    <a href=${`#/units/${code}`}>${name}</a> <code>${code}</code>
    <${ErrorBox} error=${error} />
    ${open && children !== undefined && children.length > 0
      ? html`<ul role="group">${children.map((child) => html`<${TreeNode} key=${child.code} code=${child.code} name=${child.name} />`)}</ul>`
      : null}
  </li>`
}

export function UnitsPage ({ roots }) {
  const [query, setQuery] = useState('')
  const [found, setFound] = useState(undefined)
  const [error, setError] = useState(undefined)
  // The tree's roots by name ("Việt Nam", not "vn").
  const named = useLoad(() => Promise.all(roots.map((code) => api('GET', `/api/v1/tenants/${code}`))), [roots.join(',')])
  // Each root's next page (an offset), or null when it has no more: 50 units a page, in the national tree too.
  async function fetchPages (asked, pages, seen) {
    const results = await Promise.all(roots.map((root) => pages.get(root) === null
      ? { items: [], next: null }
      : api('GET', `/api/v1/tenants/${root}/search?q=${encodeURIComponent(asked)}&offset=${pages.get(root) ?? 0}`)))
    const next = new Map()
    results.forEach((result, i) => {
      next.set(roots[i], result.next)
      for (const unit of result.items) seen.set(unit.code, unit)
    })
    return { asked, items: [...seen.values()], pages: next, seen }
  }
  async function search (event) {
    event.preventDefault()
    setError(undefined)
    if (query.trim() === '') return setFound(undefined)
    try {
      setFound(await fetchPages(query.trim(), new Map(), new Map()))
    } catch (failure) {
      setError(failure)
    }
  }
  async function more () {
    setError(undefined)
    try {
      setFound(await fetchPages(found.asked, found.pages, found.seen))
    } catch (failure) {
      setError(failure)
    }
  }
  const hasMore = found !== undefined && [...found.pages.values()].some((next) => next !== null)
  return html`<div class="page">
    <h1>${t('nav.units')}</h1>
    <form class="search" role="search" onSubmit=${search}>
      <label for="unit-search">${t('units.search')}</label>
      <input id="unit-search" type="search" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} placeholder=${t('units.searchHint')} />
      <button type="submit">${t('units.search')}</button>
    </form>
    <${ErrorBox} error=${error} />
    ${found !== undefined
      ? html`<${Section} title=${t('units.search')} id="found-title">
          ${found.items.length === 0
            ? html`<p class="muted">${t('units.noMatch')}</p>`
            : html`<p class="muted" aria-live="polite">${t('units.shown', { n: found.items.length })}</p>
              <ul class="results">${found.items.map((unit) => html`<li><a href=${`#/units/${unit.code}`}>${unit.fullName ?? unit.name}</a> <code>${unit.code}</code></li>`)}</ul>`}
          ${hasMore ? html`<button type="button" onClick=${more}>${t('units.more')}</button>` : null}
        <//>`
      : null}
    <${Section} title=${t('units.tree')} id="tree-title">
      <${Loading} state=${named}>${(tenants) => html`<ul role="tree" class="tree" aria-labelledby="tree-title">${tenants.map((root) => html`<${TreeNode} key=${root.code} code=${root.code} name=${root.name} />`)}</ul>`}<//>
    <//>
  </div>`
}
