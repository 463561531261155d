// Syntax colours for the code a reviewer reads (JavaScript, JSON): comments, strings, numbers and keywords, found by
// one regular expression over the text; everything is shown as text (never as HTML), only wrapped in spans.
import { html } from './ui.js'

const TOKEN = /(\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|("(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`(?:[^`\\]|\\.)*`?)|(\b(?:\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?|0x[\da-f]+)\b)|(\b(?:async|await|break|case|catch|class|const|continue|default|delete|do|else|export|extends|false|finally|for|from|function|if|import|in|instanceof|let|new|null|of|return|static|super|switch|this|throw|true|try|typeof|undefined|var|void|while|yield)\b)/gi
const KINDS = ['comment', 'string', 'number', 'keyword']

/** Whether a file is one the colours are for. */
export const highlighted = (path) => /\.(m?js|cjs|json|ts)$/.test(path)

/** `text` as nodes: plain runs, and spans of class `tok-{kind}` around each token. */
export function highlight (text) {
  const nodes = []
  let last = 0
  for (const match of text.matchAll(TOKEN)) {
    if (match.index > last) nodes.push(text.slice(last, match.index))
    const kind = KINDS[match.slice(1).findIndex((group) => group !== undefined)]
    nodes.push(html`<span class=${`tok-${kind}`}>${match[0]}</span>`)
    last = match.index + match[0].length
  }
  if (last < text.length) nodes.push(text.slice(last))
  return nodes
}
