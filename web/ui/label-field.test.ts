import { describe, expect, it } from 'vitest'
import { formatProblem } from '../../shared/problems'
import { translate } from './i18n'
import { labelFieldProblems, labelsOfField } from './label-field'

describe('the create page\'s Labels field', () => {
  const en = (text: string) => labelFieldProblems(labelsOfField(text), (key, vars) => translate('en', key, vars)).map(formatProblem)
  const zh = (text: string) => labelFieldProblems(labelsOfField(text), (key, vars) => translate('zh', key, vars)).map(formatProblem)

  it('reads comma-separated labels, trimmed, empty entries dropped', () => {
    expect(labelsOfField(' cat, dog ,, bird ')).toEqual(['cat', 'dog', 'bird'])
  })

  it('names the Labels field, not config.json: empty, one label, a label twice', () => {
    expect(en('')).toEqual(['Labels: is empty: list the task’s labels, separated by commas (for example 0, 1, 2)'])
    expect(en(' , ')).toEqual(['Labels: is empty: list the task’s labels, separated by commas (for example 0, 1, 2)'])
    expect(en('cat')).toEqual(['Labels: has one label: a classifier needs at least two, separated by commas'])
    expect(en('a, b, a, c, b, a')).toEqual(['Labels: lists "a" more than once: list each label once', 'Labels: lists "b" more than once: list each label once'])
    expect(en('a, b')).toEqual([])
    expect(zh('a, b, a')).toEqual(['标签: 重复列出了“a”：每个标签只列一次'])
  })
})
