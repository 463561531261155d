// Small building blocks shared by the console's pages.
import { h } from 'preact'
import { useCallback, useEffect, useState } from 'preact/hooks'
import htm from 'htm'
import { t } from './i18n.js'

export const html = htm.bind(h)

/** Loads with `load()` on mount and whenever `deps` change; `reload()` loads again. */
export function useLoad (load, deps) {
  const [state, setState] = useState({ loading: true, data: undefined, error: undefined })
  const reload = useCallback(() => {
    setState((s) => ({ ...s, loading: true }))
    load().then((data) => setState({ loading: false, data, error: undefined }), (error) => setState({ loading: false, data: undefined, error }))
  }, deps)
  useEffect(reload, [reload])
  return { ...state, reload }
}

/** An API error as the user sees it: the message, the code, and the field it names. */
export function ErrorBox ({ error }) {
  if (error === undefined || error === null) return null
  // The message in words; the code and the particulars only in a detail line, for whoever helps.
  return html`<div class="error" role="alert">
    <strong>${error.message}</strong>
    ${error.field && (error.errors ?? []).length === 0 ? html` <span>${t('error.field', { field: error.field })}</span>` : null}
    ${(error.errors ?? []).length > 1 ? html`<ul>${error.errors.map((problem) => html`<li>${problem.message}</li>`)}</ul>` : null}
    ${error.code || error.detail ? html`<br /><small class="muted">${[error.detail, error.code].filter(Boolean).join(' · ')}</small>` : null}
  </div>`
}

export function Loading ({ state, children }) {
  if (state.error) return html`<${ErrorBox} error=${state.error} />`
  if (state.data === undefined) return html`<p class="muted" aria-busy="true">${t('common.loading')}</p>`
  return children(state.data)
}

/**
 * A form whose submit runs `action` and shows its error (or a short confirmation) in place;
 * the submit button is disabled while it runs.
 */
export function ActionForm ({ action, submit, children, label, className }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(undefined)
  const [done, setDone] = useState(false)
  async function onSubmit (event) {
    event.preventDefault()
    const form = event.currentTarget
    setBusy(true)
    setError(undefined)
    setDone(false)
    try {
      await action(new FormData(form), form)
      setDone(true)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }
  return html`<form class=${className ?? 'form'} onSubmit=${onSubmit} aria-label=${label}>
    ${children}
    <div class="actions">
      <button type="submit" disabled=${busy}>${submit}</button>
      ${done ? html`<span class="ok" role="status">${t('common.done')}</span>` : null}
    </div>
    <${ErrorBox} error=${error} />
  </form>`
}

let fieldIds = 0
/**
 * A labelled input: the label is always visible and tied to its control. Inputs are uncontrolled
 * (`value` is the initial value), so a re-render never overwrites what the user typed.
 */
/** A labelled input; `options`: a select; `rows`: a textarea (a PEM certificate or key keeps its lines). */
export function Field ({ label, name, type = 'text', required = false, value, hint, autocomplete, pattern, options, rows, ...rest }) {
  const [id] = useState(() => `f${++fieldIds}`)
  if (type === 'checkbox') {
    return html`<div class="field check"><input id=${id} type="checkbox" name=${name} defaultChecked=${value === true} ...${rest} /><label for=${id}>${label}</label></div>`
  }
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${options !== undefined
      ? html`<select id=${id} name=${name} required=${required} ...${rest}>${options.map((o) => html`<option value=${o.value} selected=${o.value === value}>${o.label}</option>`)}</select>`
      : rows !== undefined
      ? html`<textarea id=${id} name=${name} rows=${rows} required=${required} defaultValue=${value} autocomplete=${autocomplete} spellcheck="false" aria-describedby=${hint ? `${id}-hint` : undefined} ...${rest}></textarea>`
      : html`<input id=${id} name=${name} type=${type} required=${required} defaultValue=${value} autocomplete=${autocomplete} pattern=${pattern} aria-describedby=${hint ? `${id}-hint` : undefined} ...${rest} />`}
    ${hint ? html`<small id=${`${id}-hint`} class="muted">${hint}</small>` : null}
  </div>`
}

export function Section ({ title, children, id }) {
  return html`<section class="card" aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`
}

export function formatDate (iso) {
  if (!iso) return ''
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString()
}

export function navigate (hash) {
  location.hash = hash
}
