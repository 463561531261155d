// Workflows: the states a dossier passes through and the actions that move it, each allowed to some roles, some
// needing a comment or the actor's digital signature. Shared by the plugin and its pages, like form.js.

const NAME = /^[a-z][a-z0-9_-]{0,39}$/
/** Who may act: the unit's officers or administrators, or the dossier's own applicant. */
export const ACTORS = ['officer', 'tenant-admin', 'applicant']
const LIMITS = { states: 30, transitions: 100, deadlineDays: 365 }

const text = (value, max) => typeof value === 'string' && value.trim() !== '' && value.length <= max
const label = (value) => value !== null && typeof value === 'object' && text(value.vi, 200) && (value.en === undefined || text(value.en, 200))

/** What is wrong with a workflow's definition, `{path, message}`; empty when it is good. */
export function checkWorkflow (workflow) {
  const problems = []
  const problem = (path, message) => { if (problems.length < 50) problems.push({ path, message }) }
  if (workflow === null || typeof workflow !== 'object' || !Array.isArray(workflow.states) || !Array.isArray(workflow.transitions)) {
    return [{ path: 'workflow', message: 'a workflow is {initial, states: [], transitions: []}' }]
  }
  const states = new Map()
  if (workflow.states.length < 2 || workflow.states.length > LIMITS.states) problem('workflow.states', `2 to ${LIMITS.states} states`)
  workflow.states.forEach((state, i) => {
    const path = `workflow.states[${i}]`
    if (state === null || typeof state !== 'object' || typeof state.name !== 'string' || !NAME.test(state.name)) return problem(`${path}.name`, 'a state is named with lower-case letters, digits, - and _')
    if (states.has(state.name)) problem(`${path}.name`, `'${state.name}' is used twice`)
    states.set(state.name, state)
    if (!label(state.label)) problem(`${path}.label`, 'a label is {vi, en?}, each 1 to 200 characters')
    if (state.deadlineDays !== undefined && (!Number.isInteger(state.deadlineDays) || state.deadlineDays < 1 || state.deadlineDays > LIMITS.deadlineDays)) problem(`${path}.deadlineDays`, `whole days, 1 to ${LIMITS.deadlineDays}`)
    if (state.outcome !== undefined && state.outcome !== 'approved' && state.outcome !== 'rejected') problem(`${path}.outcome`, "'approved' or 'rejected' (a final state's result)")
  })
  if (!states.has(workflow.initial)) problem('workflow.initial', 'the state a filed dossier starts in')
  if (workflow.transitions.length === 0 || workflow.transitions.length > LIMITS.transitions) problem('workflow.transitions', `1 to ${LIMITS.transitions} transitions`)
  const actions = new Set()
  workflow.transitions.forEach((transition, i) => {
    const path = `workflow.transitions[${i}]`
    if (transition === null || typeof transition !== 'object') return problem(path, 'a transition is {from, action, to, roles}')
    if (!states.has(transition.from)) problem(`${path}.from`, 'a state of this workflow')
    if (!states.has(transition.to)) problem(`${path}.to`, 'a state of this workflow')
    if (typeof transition.action !== 'string' || !NAME.test(transition.action)) problem(`${path}.action`, 'an action is named with lower-case letters, digits, - and _')
    else if (actions.has(`${transition.from} ${transition.action}`)) problem(`${path}.action`, `'${transition.action}' leaves '${transition.from}' twice`)
    actions.add(`${transition.from} ${transition.action}`)
    if (!label(transition.label)) problem(`${path}.label`, 'a label is {vi, en?}, each 1 to 200 characters')
    if (!Array.isArray(transition.roles) || transition.roles.length === 0 || transition.roles.some((role) => !ACTORS.includes(role))) problem(`${path}.roles`, `some of ${ACTORS.join(', ')}`)
    for (const flag of ['requireSignature', 'requireComment']) if (transition[flag] !== undefined && typeof transition[flag] !== 'boolean') problem(`${path}.${flag}`, 'true or false')
    if (states.get(transition.from)?.outcome !== undefined) problem(`${path}.from`, `'${transition.from}' is final: nothing leaves it`)
  })
  return problems
}

/** The transitions leaving `state` that `actor` (roles at the unit, and whether they filed the dossier) may take. */
export function allowedTransitions (workflow, state, actor) {
  return workflow.transitions.filter((transition) => transition.from === state &&
    transition.roles.some((role) => role === 'applicant' ? actor.applicant : actor.roles.includes(role)))
}

/** The state named `name`. */
export const stateOf = (workflow, name) => workflow.states.find((state) => state.name === name)
