import { exports, storage } from 'nentang:sdk'

const dossiers = storage.collection('dossiers')

// The officer's inbox: what waits, 20 at a time (an indexed field).
export async function inbox () {
  return { items: await dossiers.find({ state: 'submitted' }, { limit: 20 }) }
}

export async function report () {
  return { rows: await dossiers.aggregate({ groupBy: ['state'], metrics: { n: { op: 'count' }, fees: { op: 'sum', field: 'fee' } } }) }
}

export async function startExport () {
  return exports.start({ collection: 'dossiers', columns: ['no', 'name', 'state', 'fee'], format: 'csv' })
}

export async function exportStatus (request) {
  return exports.status(request.params.id)
}
