import { describe, expect, it } from 'vitest'
import { bundleProblem, checkConfig, parseBundle, parseModelCard, unzipBundle, zipBundle } from '../../shared/bundle'
import { formatProblem, type BundleProblemCode, type Problem, type Result } from '../../shared/problems'
import { isBundleProblem } from './bundle-problem-messages'
import { problemLine } from './dataset-messages'
import { translate, type Translate } from './i18n'

const en: Translate = (key, vars) => translate('en', key, vars)
const zh: Translate = (key, vars) => translate('zh', key, vars)

const problemsOf = (r: Result<unknown>): Problem[] => (r.ok ? [] : r.problems)
const bytes = (text: string) => new TextEncoder().encode(text)
const BASE = { entry_module: 'autofed.models.cnn', entry_class: 'FedAvgCNN', param_file: 'model.safetensors' }

/** Every bundle problem, made by the code that finds it on the create page (its zip, parseBundle, checkConfig). */
function everyProblem(): Problem[] {
  return [
    ...problemsOf(unzipBundle(bytes('not a zip at all'), { file: 'garbage.zip' })),
    ...problemsOf(unzipBundle(zipBundle(new Map([['a.bin', new Uint8Array(2 * 1024 * 1024)]])), { file: 'big.zip', maxBytes: 1024 * 1024 })),
    ...problemsOf(unzipBundle(zipBundle(new Map()), { file: 'empty.zip' })),
    ...problemsOf(parseBundle(new Map())),
    ...problemsOf(parseBundle(new Map([['config.json', bytes(JSON.stringify({ ...BASE, entry_module: undefined, entry_file: 'model.js' }))]]))),
    ...problemsOf(checkConfig([])),
    ...problemsOf(checkConfig({ ...BASE, entry_file: 'model.js' })),
    ...problemsOf(checkConfig({ param_file: 'w.bin', entry_class: '' })),
    ...problemsOf(checkConfig({ entry_module: 'autofed.models.cnn' })),
    ...problemsOf(checkConfig({ entry_file: '', entry_class: 1, param_file: '../w.safetensors' })),
    ...problemsOf(checkConfig({ entry_file: '../x.js', entry_class: 'X', param_file: 'w.safetensors' })),
    ...problemsOf(checkConfig({ entry_file: 'x.py', entry_class: 'X', param_file: 'w.safetensors' })),
    ...problemsOf(checkConfig({ ...BASE, entry_module: 3 })),
    ...problemsOf(checkConfig({ ...BASE, id2label: [] })),
    ...problemsOf(checkConfig({ ...BASE, id2label: { '0': 'a', '2': 'b' } })),
    ...problemsOf(checkConfig({ ...BASE, id2label: { '0': 'a', '1': 'a', '2': '' } })),
    ...problemsOf(checkConfig({ ...BASE, label2id: 'a' })),
    ...problemsOf(checkConfig({ ...BASE, label2id: { a: -1 } })),
    ...problemsOf(checkConfig({ ...BASE, id2label: { '0': 'a', '1': 'b' }, label2id: { a: 1, b: 0 } })),
    ...problemsOf(checkConfig({ ...BASE, id2label: { '0': 'a', '1': 'b' }, label2id: { a: 0, c: 1 } })),
    ...problemsOf(checkConfig({ ...BASE, id2label: { '0': 'a' }, label2id: { a: 0, b: 1 } })),
    ...problemsOf(parseModelCard('# no front matter')),
    ...problemsOf(parseModelCard('---\nname: [a\n---\n')),
    ...problemsOf(parseModelCard('---\n- a\n---\n')),
    ...problemsOf(parseModelCard('---\nname: ""\ntags: 3\nis-federated: maybe\n---\n')),
    ...problemsOf(parseModelCard('---\nname: x\nlicense: mit\nauthor: a\ntasks: [text-generation, translation]\n---\n')),
    ...problemsOf(parseModelCard('---\nname: x\nlicense: mit\nauthor: a\ntasks: []\n---\n')),
    // buildModel's (shared/model/build.ts loads tfjs-layers; its problem is made the same way).
    bundleProblem('config.json', 'id2label', { code: 'id2label-missing' }),
  ]
}

/** Words that are names in any language: fields and files of a bundle, formats, the unzipper's own reason (quoted labels and keys are values, stripped first). */
const NAMES =
  /entry_file|entry_module|entry_class|param_file|id2label|label2id|autofed\.models\.cnn|autofed|model\.json|safetensors|tfjs|config\.json|preprocessor_config\.json|README\.md|[\w.-]+\.(zip|js|mjs|bin|safetensors)|\.m?js|JavaScript|ES|JSON|YAML|zip|MB|name|tasks|license|author|size|invalid zip data|nothing|image-classification|text-generation|translation|true|false/g

describe('bundle problems in the page language', () => {
  const problems = everyProblem()

  it('covers every code', () => {
    const codes = new Set(problems.map((p) => p.code))
    const all: BundleProblemCode[] = [
      'zip-unreadable', 'zip-too-big', 'zip-empty', 'bundle-file-missing', 'bundle-file-not-in-bundle', 'config-not-object', 'config-entry-both',
      'config-entry-none', 'config-entry-file-name', 'config-path-outside', 'config-entry-file-js', 'config-entry-module', 'config-required',
      'config-non-empty-string', 'config-param-file-type', 'id2label-not-object', 'id2label-key-missing', 'id2label-empty-name', 'id2label-repeated',
      'id2label-missing', 'label2id-not-object', 'label2id-not-id', 'label2id-mismatch', 'label2id-count', 'card-no-front-matter', 'card-yaml',
      'card-not-mapping', 'card-required', 'card-non-empty-string', 'card-list', 'card-tasks-required', 'card-tasks-missing', 'card-boolean',
    ]
    expect(all.filter((c) => !codes.has(c))).toEqual([])
    expect(problems.every(isBundleProblem)).toBe(true)
  })

  it('words each in English exactly as shared/bundle does', () => {
    for (const p of problems) expect(problemLine(p, en)).toBe(formatProblem(p))
  })

  it('words each in Chinese, with no English besides names, files and values', () => {
    for (const p of problems) {
      const chinese = problemLine(p, zh)
      const reason = p.code === 'card-yaml' ? p.params.reason : ''
      const left = chinese.replace(reason, ' ').replace(p.file, ' ').replace(p.field ?? '', ' ').replace(/"[^"]*"/g, ' ').replace(NAMES, ' ').match(/[A-Za-z]+/g)
      expect({ line: chinese, left }).toEqual({ line: chinese, left: null })
      expect(chinese).toMatch(/[\u4e00-\u9fff]/)
    }
  })

  it('words the create page’s common ones', () => {
    const line = (p: Problem) => problemLine(p, zh)
    expect(line(problemsOf(unzipBundle(bytes('x'), { file: 'garbage.zip' }))[0])).toBe('garbage.zip: 不是可读取的 zip 压缩包（invalid zip data）；请选择由 autofed 生成的模型包 zip，或模型包文件夹')
    expect(problemsOf(checkConfig({ ...BASE, entry_class: '' })).map(line)).toEqual(['config.json: entry_class 必须是非空字符串'])
    expect(problemsOf(checkConfig({ ...BASE, id2label: { '0': 'a', '1': 'a' } })).map(line)).toEqual(['config.json: id2label.1 重复了标签 "a"'])
  })
})
