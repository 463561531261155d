// The plugin's page: it calls the plugin's own public route (one level up from ui/) and shows the answer.
const base = location.pathname.replace(/ui\/[^/]*$/, '')
fetch(base + 'hello')
  .then((response) => response.json())
  .then((body) => {
    document.getElementById('greeting').textContent = body.message
    document.getElementById('tenant').textContent = body.tenant
  })
  .catch((error) => {
    document.getElementById('greeting').textContent = String(error)
  })
