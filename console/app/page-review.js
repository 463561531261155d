import { highlight, highlighted } from './highlight.js'
import { api, versionPath } from './api.js'
import { t } from './i18n.js'
import { ActionForm, Field, formatDate, html, Loading, Section, useLoad } from './ui.js'

/** A permission as `registry/checks.ts` lists it (`http:https://…`, `secret:KEY`, `storage`…), in a reviewer's words. */
function describe (permission) {
  const colon = permission.indexOf(':')
  const kind = colon === -1 || permission.startsWith('storage.read:') ? permission : permission.slice(0, colon)
  const value = colon === -1 || kind === permission ? '' : permission.slice(colon + 1)
  const key = `permission.${kind.replace(':', '.')}`
  const words = t(key, { value })
  return words === key ? permission : words
}

/** A registry version as a reviewer needs it: checks, permissions (and what is new), manifest; then the decision. */
export function ReviewPage ({ name, version, can }) {
  const entry = useLoad(() => api('GET', versionPath(name, version)), [name, version])
  return html`<div class="page">
    <${Loading} state=${entry}>${(e) => {
      const checks = Object.fromEntries(e.checks.map((c) => [c.id, c]))
      const asked = checks.permissions?.details ?? []
      const added = checks['new-permissions']?.details ?? []
      const failed = e.checks.filter((c) => !c.ok)
      const decide = (action, field) => async (data) => {
        const text = String(data.get(field) ?? '')
        const body = field === 'reason' ? { reason: text } : { comment: text }
        if (action === 'approve' && data.get('override') === 'on') body.override = true
        await api('POST', `${versionPath(name, version)}/${action}`, body)
        entry.reload()
      }
      return html`
        <h1>${t('review.title', { name: e.name, version: e.version })}</h1>
        <p><span class=${`badge ${e.status}`} data-testid="status">${t(`registry.${e.status}`)}</span> · ${t('registry.publisher')}: ${e.publisher} · ${formatDate(e.publishedAt)}</p>
        <p class="muted"><code>sha256 ${e.sha256}</code></p>
        ${e.review ? html`<p>${t('review.reviewed', { reviewer: e.review.reviewer, at: formatDate(e.review.reviewedAt), comment: e.review.comment ?? '' })}${e.review.revokeReason ? ` · ${e.review.revokeReason}` : ''}</p>` : null}
        <div class="grid">
          <${Section} title=${t('review.permissions')} id="permissions-title">
            ${asked.length === 0 ? html`<p class="muted">${t('review.noPermissions')}</p>` : html`<ul data-testid="permissions">${asked.map((p) => html`<li>${describe(p)} <code>${p}</code>${added.includes(p) ? html` <span class="badge new">${t('review.new')}</span>` : null}</li>`)}</ul>`}
            <h3>${t('review.newPermissions')}</h3>
            ${added.length === 0 ? html`<p class="muted">${t('review.noNewPermissions')}</p>` : html`<ul data-testid="new-permissions">${added.map((p) => html`<li>${describe(p)} <code>${p}</code></li>`)}</ul>`}
          <//>
          <${Section} title=${t('review.checks')} id="checks-title">
            <ul class="checks">${e.checks.map((c) => html`<li class=${c.ok ? 'ok' : 'failed'}><span aria-hidden="true">${c.ok ? '✓' : '✗'}</span> <strong>${c.id}</strong> (${c.ok ? t('review.ok') : t('review.failed')}): ${c.message}</li>`)}</ul>
          <//>
        </div>
        <${Section} title=${t('review.routes')} id="routes-title">
          <table><tbody>${(e.manifest.routes ?? []).map((r) => html`<tr><td><code>${r.method}</code></td><td><code>${r.path}</code></td><td>${r.access ?? 'user'}</td></tr>`)}</tbody></table>
        <//>
        ${can.platformAdmin && e.status === 'pending'
          ? html`<div class="grid">
              <${ActionForm} label=${t('review.approve')} submit=${t('review.approve')} action=${decide('approve', 'comment')}>
                ${failed.length > 0
                  ? html`<p class="error" role="alert">${t('review.failedWarning', { checks: failed.map((c) => c.id).join(', ') })}</p>
                    <${Field} label=${t('review.override')} name="override" type="checkbox" />
                    <${Field} label=${t('review.overrideReason')} name="comment" required minLength="10" />`
                  : html`<${Field} label=${t('review.comment')} name="comment" />`}
              <//>
              <${ActionForm} label=${t('review.reject')} submit=${t('review.reject')} action=${decide('reject', 'comment')}>
                <${Field} label=${t('review.rejectReason')} name="comment" required />
              <//>
            </div>`
          : null}
        ${can.platformAdmin && e.status === 'approved'
          ? html`<${ActionForm} label=${t('review.revoke')} submit=${t('review.revoke')} action=${decide('revoke', 'reason')}>
              <${Field} label=${t('review.reason')} name="reason" required />
            <//>`
          : null}
        <${FilesSection} name=${name} version=${version} />
        <details class="card">
          <summary>${t('review.manifest')}</summary>
          <pre tabindex="0" aria-label="plugin.json">${JSON.stringify(e.manifest, null, 2)}</pre>
        </details>`
    }}<//>
  </div>`
}

/** The package's files: what changed since the last approved version first (its diff), then the rest, each readable. */
function FilesSection ({ name, version }) {
  const files = useLoad(() => api('GET', `${versionPath(name, version)}/files`), [name, version])
  return html`<${Section} title=${t('review.files')} id="files-title">
    <${Loading} state=${files}>${(f) => html`
      <p class="muted">${f.previous === null ? t('review.noPrevious') : t('review.comparedWith', { version: f.previous })}</p>
      ${f.removed.length > 0 ? html`<p>${t('review.removed')}: ${f.removed.map((path) => html`<code>${path}</code> `)}</p>` : null}
      <ul class="files">${[...f.files].sort((a, b) => rank(a) - rank(b)).map((file) => html`<li>
        <details open=${file.status === 'changed'}>
          <summary><code>${file.path}</code> <span class=${`badge ${file.status}`}>${t(`review.file.${file.status}`)}</span> <span class="muted">${file.size} B</span></summary>
          ${file.patch !== null
            ? html`<pre class="diff" tabindex="0" aria-label=${file.path} data-testid=${`diff-${file.path}`}>${file.patch.split('\n').filter((line) => !line.startsWith('Index:') && !/^=+$/.test(line)).map((line) => html`<span class=${line.startsWith('+') ? 'added' : line.startsWith('-') ? 'removed' : ''}>${highlighted(file.path) && /^[+\- ]/.test(line) && !/^(\+\+\+|---) /.test(line) ? [line[0], highlight(line.slice(1))] : line}</span>`)}</pre>`
            : file.text !== null ? html`<pre class="source" tabindex="0" aria-label=${file.path}>${highlighted(file.path) ? highlight(file.text) : file.text}</pre>` : html`<p class="muted">${t('review.binary')}</p>`}
        </details>
      </li>`)}</ul>`}<//>
  <//>`
}

const rank = (file) => ({ changed: 0, added: 1, same: 2 })[file.status] ?? 3
