import { api } from './api.js'
import { t } from './i18n.js'
import { PluginsTab } from './page-plugins.js'
import { useState } from 'preact/hooks'
import { ActionForm, ErrorBox, Field, html, Loading, Section, useLoad } from './ui.js'

const TABS = ['children', 'users', 'grants', 'roles', 'plugins']
const TAB_LABEL = { children: 'unit.children', users: 'unit.users', grants: 'unit.grants', roles: 'unit.roles', plugins: 'unit.plugins' }

export function UnitPage ({ code, tab, can }) {
  const unit = useLoad(() => api('GET', `/api/v1/tenants/${code}`), [code])
  return html`<div class="page">
    <${Loading} state=${unit}>${(u) => html`
      <nav class="crumbs" aria-label="breadcrumb">${(u.ancestors ?? []).map((above) => html`<a href=${`#/units/${above.code}`}>${above.name}</a> / `)}<span aria-current="page">${u.name}</span></nav>
      <h1>${u.name} <code>${u.code}</code></h1>
      <nav class="tabs" aria-label=${t('unit.tabs')}>
        ${TABS.map((name) => html`<a href=${`#/units/${code}/${name}`} aria-current=${tab === name ? 'page' : undefined}>${t(TAB_LABEL[name])}</a>`)}
      </nav>
      ${tab === 'children' ? html`<${ChildrenTab} code=${code} />` : null}
      ${tab === 'users' ? html`<${UsersTab} code=${code} />` : null}
      ${tab === 'grants' ? html`<${GrantsTab} code=${code} />` : null}
      ${tab === 'roles' ? html`<${RolesTab} code=${code} />` : null}
      ${tab === 'plugins' ? html`<${PluginsTab} code=${code} can=${can} />` : null}
    `}<//>
  </div>`
}

function ChildrenTab ({ code }) {
  const children = useLoad(() => api('GET', `/api/v1/tenants/${code}/children`), [code])
  return html`
    <${Section} title=${t('unit.children')} id="children-title">
      <${Loading} state=${children}>${(data) => data.items.length === 0
        ? html`<p class="muted">${t('common.none')}</p>`
        : html`<ul class="results">${data.items.map((c) => html`<li><a href=${`#/units/${c.code}`}>${c.name}</a> <code>${c.code}</code>${c.adminUnitCode ? html` <span class="muted">${c.adminUnitCode}</span>` : null}</li>`)}</ul>`}<//>
    <//>
    <${Section} title=${t('unit.newChild')} id="new-child-title">
      <${ActionForm} label=${t('unit.newChild')} submit=${t('common.create')} action=${async (data, form) => {
        const body = { code: String(data.get('code')), name: String(data.get('name')) }
        if (data.get('adminUnitCode')) body.adminUnitCode = String(data.get('adminUnitCode'))
        await api('POST', `/api/v1/tenants/${code}/children`, body)
        form.reset()
        children.reload()
      }}>
        <${Field} label=${t('unit.code')} name="code" required pattern="[a-z][a-z0-9\\-]{1,62}" />
        <${Field} label=${t('unit.name')} name="name" required />
        <${Field} label=${t('unit.adminUnitCode')} name="adminUnitCode" pattern="[0-9]{2}|[0-9]{5}" />
      <//>
    <//>`
}

function UsersTab ({ code }) {
  const users = useLoad(() => api('GET', `/api/v1/tenants/${code}/users`), [code])
  const [error, setError] = useState(undefined)
  // Disabling a user revokes its tokens at once, on every node.
  async function setDisabled (username, disabled) {
    setError(undefined)
    try {
      await api('PATCH', `/api/v1/tenants/${code}/users/${username}`, { disabled })
      users.reload()
    } catch (failure) {
      setError(failure)
    }
  }
  const roles = useLoad(() => api('GET', `/api/v1/tenants/${code}/roles`), [code])
  return html`
    <${Section} title=${t('unit.users')} id="users-title">
      <${Loading} state=${users}>${(data) => data.items.length === 0
        ? html`<p class="muted">${t('common.none')}</p>`
        : html`<table><thead><tr><th scope="col">${t('unit.username')}</th><th scope="col">${t('unit.displayName')}</th><th scope="col">${t('unit.status')}</th><th scope="col"><span class="sr-only">${t('unit.status')}</span></th></tr></thead>
            <tbody>${data.items.map((u) => html`<tr><td>${u.username}</td><td>${u.displayName}</td>
              <td data-testid=${`status-${u.username}`}>${u.disabled ? t('unit.disabled') : t('unit.active')}</td>
              <td><button type="button" class="small ${u.disabled ? '' : 'danger'}" onClick=${() => setDisabled(u.username, !u.disabled)}
                aria-label=${`${t(u.disabled ? 'unit.enable' : 'unit.disable')} ${u.username}`}>${t(u.disabled ? 'unit.enable' : 'unit.disable')}</button></td></tr>`)}</tbody></table>`}<//>
      <${ErrorBox} error=${error} />
    <//>
    <${Section} title=${t('unit.newUser')} id="new-user-title">
      <${ActionForm} label=${t('unit.newUser')} submit=${t('common.create')} action=${async (data, form) => {
        const body = { username: String(data.get('username')), password: String(data.get('password')), displayName: String(data.get('displayName')) }
        const role = String(data.get('role') ?? '')
        if (role !== '') body.roles = [role]
        await api('POST', `/api/v1/tenants/${code}/users`, body)
        form.reset()
        users.reload()
      }}>
        <${Field} label=${t('unit.username')} name="username" required autocomplete="off" />
        <${Field} label=${t('unit.displayName')} name="displayName" required />
        <${Field} label=${t('unit.password')} name="password" type="password" required minlength="10" autocomplete="new-password" />
        <${Field} label=${t('unit.role')} name="role" options=${[{ value: '', label: '—' }, ...(roles.data?.items ?? []).filter((r) => r.name !== 'platform-admin').map((r) => ({ value: r.name, label: r.name }))]} />
      <//>
    <//>`
}

function GrantsTab ({ code }) {
  const grants = useLoad(() => api('GET', `/api/v1/tenants/${code}/grants`), [code])
  const roles = useLoad(() => api('GET', `/api/v1/tenants/${code}/roles`), [code])
  const [error, setError] = useState(undefined)
  async function change (request) {
    setError(undefined)
    try {
      await request()
      grants.reload()
    } catch (failure) {
      setError(failure)
    }
  }
  const revoke = (id) => change(() => api('DELETE', `/api/v1/tenants/${code}/grants/${id}`))
  // Widened to the units below, or narrowed to this unit, in place.
  const reach = (g) => change(() => api('PATCH', `/api/v1/tenants/${code}/grants/${g.id}`, { includeDescendants: !g.includeDescendants }))
  const grantable = (name) => roles.data?.items.find((r) => r.name === name)?.grantable
  // Only the roles the signed-in administrator may grant here (the server checks again).
  const offered = (roles.data?.items ?? []).filter((r) => r.grantable?.here)
  return html`
    <${Section} title=${t('unit.grants')} id="grants-title">
      <${Loading} state=${grants}>${(data) => data.items.length === 0
        ? html`<p class="muted">${t('common.none')}</p>`
        : html`<table><thead><tr><th scope="col">${t('unit.user')}</th><th scope="col">${t('unit.role')}</th><th scope="col">${t('unit.includeDescendants')}</th><th scope="col"><span class="sr-only">${t('unit.revoke')}</span></th></tr></thead>
            <tbody>${data.items.map((g) => html`<tr><td>${g.username}</td><td>${g.role}</td><td>${g.includeDescendants ? t('common.yes') : t('common.no')}</td>
              <td>${grantable(g.role)?.withDescendants ? html`<button type="button" class="small" onClick=${() => reach(g)} aria-label=${`${t(g.includeDescendants ? 'unit.narrow' : 'unit.widen')}: ${g.role} ${g.username}`}>${t(g.includeDescendants ? 'unit.narrow' : 'unit.widen')}</button> ` : null}
                <button type="button" class="danger small" onClick=${() => revoke(g.id)} aria-label=${`${t('unit.revoke')} ${g.role} ${g.username}`}>${t('unit.revoke')}</button></td></tr>`)}</tbody></table>`}<//>
      <${ErrorBox} error=${error} />
    <//>
    <${Section} title=${t('unit.newGrant')} id="new-grant-title">
      <${ActionForm} label=${t('unit.newGrant')} submit=${t('unit.newGrant')} action=${async (data) => {
        await api('POST', `/api/v1/tenants/${code}/grants`, { username: String(data.get('username')), role: String(data.get('role')), includeDescendants: data.get('includeDescendants') === 'on' })
        grants.reload()
      }}>
        <${Field} label=${t('unit.username')} name="username" required autocomplete="off" />
        ${roles.data !== undefined && offered.length === 0 ? html`<p class="muted">${t('unit.noGrantableRole')}</p>` : null}
        <${Field} label=${t('unit.role')} name="role" required options=${offered.map((r) => ({ value: r.name, label: r.name }))} />
        <${Field} label=${t('unit.includeDescendants')} name="includeDescendants" type="checkbox" />
      <//>
    <//>`
}

function RolesTab ({ code }) {
  const roles = useLoad(() => api('GET', `/api/v1/tenants/${code}/roles`), [code])
  return html`<${Section} title=${t('unit.roles')} id="roles-title">
    <${Loading} state=${roles}>${(data) => html`<ul>${data.items.map((r) => html`<li><strong>${r.name}</strong> <span class="muted">${r.builtIn ? t('unit.builtIn') : t('unit.fromPlugin')}</span></li>`)}</ul>`}<//>
  <//>`
}
