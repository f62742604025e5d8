import { parseDocument } from 'yaml'
import type { BundleProblemCause, Problem, Result } from '../problems'
import { bundleProblem } from './problems'
import type { ModelCard } from './types'

export const CARD_FILE = 'README.md'
export const REQUIRED_TASK = 'image-classification'

const FRONT_MATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/

/**
 * Parses the Model Card: YAML front matter between `---` lines at the very start of README.md
 * (required name, tasks with image-classification, license, author), and the Markdown body after it.
 */
export function parseModelCard(text: string, file = CARD_FILE): Result<ModelCard> {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const match = FRONT_MATTER.exec(source) ?? /^---[ \t]*\r?\n()---[ \t]*(?:\r?\n|$)/.exec(source)
  if (!match) {
    return { ok: false, problems: [bundleProblem(file, undefined, { code: 'card-no-front-matter' })] }
  }
  const doc = parseDocument(match[1])
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        // The front matter starts on line 2 of README.md, after the opening "---".
        const at = e.linePos?.[0]
        return bundleProblem(file, undefined, { code: 'card-yaml', params: { line: at ? at.line + 1 : null, column: at ? at.col : null, reason: e.message.split('\n')[0] } })
      }),
    }
  }
  const data: unknown = doc.toJS() ?? {}
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, problems: [bundleProblem(file, undefined, { code: 'card-not-mapping' })] }
  }
  const fm = data as Record<string, unknown>
  const problems: Problem[] = []
  const add = (field: string, cause: BundleProblemCause) => problems.push(bundleProblem(file, field, cause))

  const str = (key: string, required: boolean): string | undefined => {
    const v = fm[key]
    if (v === undefined || v === null) {
      if (required) add(key, { code: 'card-required' })
      return undefined
    }
    // YAML reads `license: 2.0` or `name: 123` as numbers; they are meant as text.
    if (typeof v === 'number' || typeof v === 'boolean') return String(v)
    if (typeof v !== 'string' || v.trim() === '') {
      add(key, { code: 'card-non-empty-string' })
      return undefined
    }
    return v
  }
  const list = (key: string): string[] | undefined => {
    const v = fm[key]
    if (v === undefined || v === null) return undefined
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' || typeof x === 'number')) {
      add(key, { code: 'card-list' })
      return undefined
    }
    return v.map(String)
  }

  const name = str('name', true)
  const displayName = str('display-name', false)
  const license = str('license', true)
  const author = str('author', true)
  const framework = str('framework', false)
  let tasks: string[] | undefined
  if (fm.tasks === undefined || fm.tasks === null) add('tasks', { code: 'card-tasks-required', params: { task: REQUIRED_TASK } })
  else {
    tasks = list('tasks')
    if (tasks && !tasks.includes(REQUIRED_TASK)) {
      add('tasks', { code: 'card-tasks-missing', params: { task: REQUIRED_TASK, found: tasks } })
    }
  }
  const tags = list('tags')
  const datasets = list('datasets')
  const federated = fm['is-federated']
  if (federated !== undefined && federated !== null && typeof federated !== 'boolean') add('is-federated', { code: 'card-boolean' })

  if (problems.length > 0) return { ok: false, problems }
  const card: ModelCard = {
    name: name!,
    displayName: displayName ?? name!,
    tasks: tasks!,
    license: license!,
    author: author!,
    frontMatter: fm,
    description: source.slice(match[0].length).replace(/^\s*\n/, ''),
  }
  if (framework !== undefined) card.framework = framework
  if (tags !== undefined) card.tags = tags
  if (typeof federated === 'boolean') card.isFederated = federated
  if (datasets !== undefined) card.datasets = datasets
  return { ok: true, value: card }
}
