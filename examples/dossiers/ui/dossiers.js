// The citizen's and the officer's page: it acts as the signed-in user through page.fetch (a token good for this
// plugin's routes at this unit only), uploads the papers, and lets an officer export the register and download it.
import { page } from './nentang-page.js'

const $ = (id) => document.getElementById(id)

async function json (response) {
  const body = await response.json()
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`)
  return body
}

async function refresh () {
  const { items } = await json(await page.fetch('/dossiers'))
  $('dossiers').replaceChildren(...items.map((d) => {
    const li = document.createElement('li')
    li.textContent = `${d.businessName} (${d.applicant.name}): ${d.state}, ${d.attachments.length} tệp`
    return li
  }))
}

$('apply').addEventListener('submit', async (event) => {
  event.preventDefault()
  const form = new FormData(event.target)
  try {
    const fields = Object.fromEntries(['businessName', 'applicantName', 'idNumber', 'address'].map((name) => [name, String(form.get(name))]))
    const dossier = await json(await page.fetch('/dossiers', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) }))
    const papers = form.getAll('papers').filter((file) => file instanceof File && file.size > 0)
    let attached = 0
    if (papers.length > 0) {
      const upload = new FormData()
      for (const file of papers) upload.append('papers', file, file.name)
      attached = (await json(await page.fetch(`/dossiers/${dossier._id}/attachments`, { method: 'POST', body: upload }))).attachments.length
    }
    $('applied').textContent = `Đã nộp hồ sơ ${dossier.businessName}, kèm ${attached} tệp`
    await refresh()
  } catch (error) {
    $('applied').textContent = `Không nộp được: ${error.message}`
  }
})

$('export').addEventListener('click', async () => {
  $('exported').textContent = 'Đang xuất…'
  try {
    const { id } = await json(await page.fetch('/exports', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format: 'xlsx' }) }))
    let status
    do {
      await new Promise((resolve) => setTimeout(resolve, 300))
      status = await json(await page.fetch(`/exports/${id}`))
    } while (status.state === 'running')
    if (status.state !== 'done') throw new Error(status.error)
    const link = document.createElement('a')
    link.href = status.url
    link.download = status.file.name
    link.textContent = `Tải ${status.file.name} (${status.rows} hồ sơ)`
    $('exported').replaceChildren(link)
  } catch (error) {
    $('exported').textContent = `Không xuất được: ${error.message}`
  }
})

// Listeners first, then the data: a click before the list has loaded is still the page's, not a native submit.
await page.ready()
const user = page.user
$('who').textContent = user === null ? 'Chưa đăng nhập' : `Xin chào ${user.displayName}`
if (user !== null && user.roles.includes('officer')) $('register').hidden = false
await refresh()
