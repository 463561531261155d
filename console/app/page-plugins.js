import { useState } from 'preact/hooks'
import { api, versionPath } from './api.js'
import { t } from './i18n.js'
import { Endpoints } from './exchange-endpoints.js'
import { readSettings, SettingsFields } from './settings-form.js'
import { ActionForm, ErrorBox, Field, formatDate, html, Loading, Section, useLoad } from './ui.js'

/** Numeric-aware version order, newest first (1.10.0 after 1.9.0). */
const byVersionDesc = (a, b) => b.version.localeCompare(a.version, undefined, { numeric: true })

/** Approved versions visible to the caller, by package name, newest first. */
async function approvedVersions () {
  const { items } = await api('GET', '/api/v1/registry/packages?status=approved')
  const byName = new Map()
  for (const entry of items) byName.set(entry.name, [...(byName.get(entry.name) ?? []), entry])
  for (const versions of byName.values()) versions.sort(byVersionDesc)
  return byName
}

export function PluginsTab ({ code, can }) {
  const installed = useLoad(() => api('GET', `/api/v1/tenants/${code}/plugins`), [code])
  const packages = useLoad(approvedVersions, [code])
  return html`
    <${Section} title=${t('unit.plugins')} id="plugins-title">
      <${Loading} state=${installed}>${(data) => html`
        ${data.items.length === 0 ? html`<p class="muted">${t('plugins.none')}</p>` : null}
        ${data.items.map((item) => html`<${Installation} key=${item.mount} code=${code} can=${can} item=${item} versions=${packages.data?.get(item.package) ?? []} onChange=${installed.reload} />`)}
        ${data.inherited.length > 0
          ? html`<h3>${t('plugins.inherited')}</h3>
            <ul class="results">${data.inherited.map((item) => html`<li><strong>${item.mount}</strong> · ${item.package}@${item.version} <span class="muted">${t('plugins.from', { tenant: item.from })}</span>
              ${item.pages ? html` <a class="button" href=${item.pages} target="_blank" rel="noopener">${t('plugins.openPage')}</a>` : null}
              <${InheritedEndpoints} code=${code} item=${item} can=${can} /></li>`)}</ul>`
          : null}`}<//>
    <//>
    <${Section} title=${t('plugins.install')} id="install-title">
      <${Loading} state=${packages}>${(byName) => byName.size === 0
        ? html`<p class="muted">${t('plugins.noPackages')}</p>`
        : html`<${InstallForm} code=${code} byName=${byName} onInstalled=${installed.reload} />`}<//>
    <//>`
}

function InstallForm ({ code, byName, onInstalled }) {
  const names = [...byName.keys()].sort()
  const [name, setName] = useState(names[0])
  const versions = byName.get(name) ?? []
  const [version, setVersion] = useState(versions[0]?.version)
  const detail = useLoad(() => api('GET', versionPath(name, version ?? versions[0]?.version)), [name, version])
  const schema = detail.data?.manifest?.settings
  return html`<${ActionForm} label=${t('plugins.install')} submit=${t('plugins.install')} action=${async (data, form) => {
    const chosen = version ?? versions[0].version
    await api('PUT', `/api/v1/tenants/${code}/plugins/${String(data.get('mount'))}`, { package: name, version: chosen, inherit: data.get('inherit') === 'on', settings: readSettings(schema, data) })
    form.reset()
    onInstalled()
  }}>
    <${Field} label=${t('plugins.package')} name="package" value=${name} options=${names.map((n) => ({ value: n, label: n }))}
      onChange=${(e) => { setName(e.currentTarget.value); setVersion(undefined) }} />
    <${Field} label=${t('plugins.version')} name="version" value=${version ?? versions[0]?.version} options=${versions.map((v) => ({ value: v.version, label: v.version }))}
      onChange=${(e) => setVersion(e.currentTarget.value)} />
    <${Field} label=${t('plugins.mount')} name="mount" required pattern="[a-z][a-z0-9\\-]{0,62}" value=${name.split('/')[1]} key=${name} />
    <${Field} label=${t('plugins.inherit')} name="inherit" type="checkbox" />
    ${schema ? html`<${SettingsFields} schema=${schema} key=${`${name}@${version}`} />` : null}
  <//>`
}

/** A unit's own connections for a plugin it inherits (else the installing unit's serve it): docs/exchange.md. */
function InheritedEndpoints ({ code, item, can }) {
  const detail = useLoad(() => api('GET', versionPath(item.package, item.version)), [item.package, item.version])
  const names = detail.data?.manifest?.permissions?.exchange ?? []
  return names.length > 0 ? html`<${Endpoints} code=${code} mount=${item.mount} names=${names} can=${can} from=${item.from} />` : null
}

function Installation ({ code, can, item, versions, onChange }) {
  const [error, setError] = useState(undefined)
  const detail = useLoad(() => api('GET', versionPath(item.package, item.version)), [item.package, item.version])
  const secrets = useLoad(() => api('GET', `/api/v1/tenants/${code}/plugins/${item.mount}/secrets`), [code, item.mount])
  const manifest = detail.data?.manifest
  const older = versions.filter((v) => v.version.localeCompare(item.version, undefined, { numeric: true }) < 0)
  async function run (action) {
    setError(undefined)
    try {
      await action()
      onChange()
    } catch (failure) {
      setError(failure)
    }
  }
  const install = (version, settings = item.settings) => api('PUT', `/api/v1/tenants/${code}/plugins/${item.mount}`, { package: item.package, version, inherit: item.inherit, settings })
  return html`<article class="installation" aria-label=${item.mount}>
    <header>
      <h3>${item.mount} <span class="muted">${item.package}@<span data-testid="installed-version">${item.version}</span></span></h3>
      <p class="muted">${item.inherit ? t('plugins.inherit') : ''} · ${item.updatedBy} · ${formatDate(item.updatedAt)}</p>
    </header>
    <div class="row">
      ${item.pages ? html`<a class="button" href=${item.pages} target="_blank" rel="noopener">${t('plugins.openPage')}</a>` : null}
      ${older.length > 0 ? html`<button type="button" onClick=${() => run(() => install(older[0].version))}>${t('plugins.rollback', { version: older[0].version })}</button>` : null}
      <button type="button" class="danger" onClick=${() => confirm(t('plugins.confirmUninstall', { mount: item.mount })) && run(() => api('DELETE', `/api/v1/tenants/${code}/plugins/${item.mount}`))}>${t('plugins.uninstall')}</button>
    </div>
    <${ErrorBox} error=${error} />
    ${versions.length > 1
      ? html`<${ActionForm} className="form inline" label=${t('plugins.switch')} submit=${t('plugins.switch')} action=${async (data) => { await install(String(data.get('version'))); onChange() }}>
          <${Field} label=${t('plugins.version')} name="version" value=${item.version} options=${versions.map((v) => ({ value: v.version, label: v.version }))} />
        <//>`
      : null}
    ${manifest?.settings
      ? html`<${ActionForm} label=${t('plugins.settings')} submit=${t('common.save')} action=${async (data) => { await install(item.version, readSettings(manifest.settings, data)); onChange() }}>
          <${SettingsFields} schema=${manifest.settings} values=${item.settings} />
        <//>`
      : null}
    ${(manifest?.permissions?.secrets ?? []).length > 0
      ? html`<fieldset class="secrets"><legend>${t('plugins.secrets')}</legend>
          ${manifest.permissions.secrets.map((name) => {
            const set = (secrets.data?.items ?? []).some((s) => s.name === name)
            return html`<${ActionForm} key=${name} className="form inline" label=${t('plugins.setSecret', { name })} submit=${t('common.save')} action=${async (data, form) => {
              await api('PUT', `/api/v1/tenants/${code}/plugins/${item.mount}/secrets/${name}`, { value: String(data.get('value')) })
              form.reset()
              secrets.reload()
            }}>
              <${Field} label=${`${name} (${set ? t('plugins.secretSet') : t('plugins.secretNotSet')})`} name="value" type="password" required autocomplete="off" />
            <//>`
          })}
        </fieldset>`
      : null}
    ${(manifest?.permissions?.exchange ?? []).length > 0 ? html`<${Endpoints} code=${code} mount=${item.mount} names=${manifest.permissions.exchange} can=${can} />` : null}
  </article>`
}
