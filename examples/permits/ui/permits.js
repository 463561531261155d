// The plugin's page: it names the unit it serves and lists the plugin's routes, read from the
// installation's own OpenAPI document (one level up from ui/).
const base = location.pathname.replace(/ui\/[^/]*$/, '')
document.getElementById('unit').textContent = base.split('/')[2] ?? ''
fetch(base + 'openapi.json')
  .then((response) => response.json())
  .then((document_) => {
    const list = document.getElementById('routes')
    for (const [path, operations] of Object.entries(document_.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const item = document.createElement('li')
        item.textContent = `${method.toUpperCase()} ${path}: ${operation.summary ?? ''}`
        list.append(item)
      }
    }
  })
  .catch((error) => {
    document.getElementById('routes').textContent = String(error)
  })
