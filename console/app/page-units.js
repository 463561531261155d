import { useState } from 'preact/hooks'
import { api } from './api.js'
import { t } from './i18n.js'
import { ErrorBox, html, Section } from './ui.js'

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
  async function search (event) {
    event.preventDefault()
    setError(undefined)
    if (query.trim() === '') return setFound(undefined)
    try {
      const results = await Promise.all(roots.map((root) => api('GET', `/api/v1/tenants/${root}/search?q=${encodeURIComponent(query.trim())}`)))
      const seen = new Map()
      for (const result of results) for (const unit of result.items) seen.set(unit.code, unit)
      setFound([...seen.values()])
    } catch (failure) {
      setError(failure)
    }
  }
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
          ${found.length === 0 ? html`<p class="muted">${t('units.noMatch')}</p>` : html`<ul class="results">${found.map((unit) => html`<li><a href=${`#/units/${unit.code}`}>${unit.name}</a> <code>${unit.code}</code> <span class="muted">${unit.path}</span></li>`)}</ul>`}
        <//>`
      : null}
    <${Section} title=${t('units.tree')} id="tree-title">
      <ul role="tree" class="tree" aria-labelledby="tree-title">${roots.map((code) => html`<${TreeNode} key=${code} code=${code} name=${code} />`)}</ul>
    <//>
  </div>`
}
