import { describe, expect, it } from 'vitest'
import { formatProblem, type Result } from '../problems'
import { parseModelCard } from './model-card'

const lines = (r: Result<unknown>) => (r.ok ? [] : r.problems.map(formatProblem))
const CARD = `---
name: skin_lesion
display-name: Skin Lesion Diagnosis
tasks:
- image-classification
license: Apache License 2.0
framework: tfjs
tags: [vision, medical]
author: Alphamed
is-federated: true
datasets:
- HAM10000
version-note: kept
---

# Skin lesion

Body text.
`

describe('parseModelCard', () => {
  it('reads the front matter, keeps unknown keys and the Markdown body', () => {
    const r = parseModelCard(CARD)
    expect(r).toEqual({
      ok: true,
      value: {
        name: 'skin_lesion',
        displayName: 'Skin Lesion Diagnosis',
        tasks: ['image-classification'],
        license: 'Apache License 2.0',
        author: 'Alphamed',
        framework: 'tfjs',
        tags: ['vision', 'medical'],
        isFederated: true,
        datasets: ['HAM10000'],
        frontMatter: {
          name: 'skin_lesion',
          'display-name': 'Skin Lesion Diagnosis',
          tasks: ['image-classification'],
          license: 'Apache License 2.0',
          framework: 'tfjs',
          tags: ['vision', 'medical'],
          author: 'Alphamed',
          'is-federated': true,
          datasets: ['HAM10000'],
          'version-note': 'kept',
        },
        description: '# Skin lesion\n\nBody text.\n',
      },
    })
  })

  it('defaults display-name to name and accepts CRLF line ends', () => {
    const r = parseModelCard('---\r\nname: m\r\ntasks: [image-classification]\r\nlicense: MIT\r\nauthor: me\r\n---\r\nhello')
    expect(r.ok && [r.value.displayName, r.value.description]).toEqual(['m', 'hello'])
  })

  it('requires name, tasks, license and author, all reported at once', () => {
    expect(lines(parseModelCard('---\nframework: tfjs\n---\n'))).toEqual([
      'README.md: name is required',
      'README.md: license is required',
      'README.md: author is required',
      'README.md: tasks is required; list image-classification',
    ])
  })

  it('requires tasks to contain image-classification', () => {
    expect(lines(parseModelCard('---\nname: m\ntasks: [object-detection]\nlicense: MIT\nauthor: me\n---\n'))).toEqual([
      'README.md: tasks must contain image-classification (found: object-detection)',
    ])
    expect(lines(parseModelCard('---\nname: m\ntasks: image-classification\nlicense: MIT\nauthor: me\n---\n'))).toEqual([
      'README.md: tasks must be a list of strings',
    ])
  })

  it('checks the types of optional keys', () => {
    expect(lines(parseModelCard('---\nname: m\ntasks: [image-classification]\nlicense: MIT\nauthor: me\nis-federated: maybe\ntags: {a: 1}\n---\n'))).toEqual([
      'README.md: tags must be a list of strings',
      'README.md: is-federated must be true or false',
    ])
  })

  it('reports a missing front matter and invalid YAML with its README line', () => {
    expect(lines(parseModelCard('# Just markdown\n'))).toEqual([
      'README.md: must start with YAML front matter between two "---" lines (name, tasks, license, author)',
    ])
    const bad = lines(parseModelCard('---\nname: m\ntasks: [image-classification\n---\n'))
    expect(bad).toHaveLength(1)
    expect(bad[0]).toMatch(/^README\.md: front matter is not valid YAML at line \d+, column \d+: /)
  })
})
