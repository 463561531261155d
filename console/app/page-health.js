import { api } from './api.js'
import { t } from './i18n.js'
import { html, Loading, Section, useLoad } from './ui.js'

const megabytes = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`

export function HealthPage () {
  const status = useLoad(() => api('GET', '/api/v1/platform/status'), [])
  return html`<div class="page">
    <h1>${t('nav.health')}</h1>
    <button type="button" onClick=${status.reload}>↻</button>
    <${Loading} state=${status}>${(s) => html`<div class="grid">
      <${Section} title=${t('health.node')} id="node-title">
        <dl>
          <dt>${t('health.version')}</dt><dd>${s.version}</dd>
          <dt>${t('health.ready')}</dt><dd data-testid="ready">${s.node.ready ? t('common.yes') : t('common.no')}</dd>
          <dt>${t('health.uptime')}</dt><dd>${s.node.uptimeSeconds} s</dd>
          <dt>${t('health.memory')}</dt><dd>${megabytes(s.node.rss)}</dd>
          <dt>${t('health.database')}</dt><dd>${s.database.dialect}</dd>
          <dt>${t('health.tenants')}</dt><dd>${s.database.tenants}</dd>
          <dt>${t('health.users')}</dt><dd>${s.database.users}</dd>
        </dl>
      <//>
      <${Section} title=${t('health.workers')} id="workers-title">
        <table><thead><tr><th scope="col">${t('health.tier')}</th><th scope="col">${t('health.isolates')}</th><th scope="col">${t('health.memory')}</th></tr></thead>
          <tbody>${s.workers.map((w) => html`<tr><td>${w.tier}</td><td>${w.isolates}</td><td>${megabytes(w.rss)}</td></tr>`)}</tbody></table>
        <dl>${Object.entries(s.standby).map(([tier, waiting]) => html`<dt>${t('health.standby')}: ${tier}</dt><dd data-testid=${`standby-${tier}`}>${waiting ? t('common.yes') : t('common.no')}</dd>`)}</dl>
      <//>
      <${Section} title=${t('health.registry')} id="registry-title">
        <dl>${Object.entries(s.registry).map(([k, n]) => html`<dt>${t(`registry.${k}`)}</dt><dd>${n}</dd>`)}</dl>
      <//>
    </div>`}<//>
  </div>`
}
