import { encode as encodePng } from 'fast-png'
import jpeg from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import Papa from 'papaparse/papaparse.js'
import { readDataset, type DatasetResult, type ReadDatasetOptions, type SkippedFile } from '../../shared/dataset'
import { csvSyntax } from '../../shared/dataset/file-problems'
import { fromMap, type FileSource } from '../../shared/files'
import { cutShortMessage, type CutShort, type CutShortEnd } from '../../shared/image-format'
import { invalidJson } from '../../shared/json'
import { formatProblem, type BundleProblemCode, type FileProblemCode, type JsonExpected, type ParamProblemCode, type Problem, type ProblemCode } from '../../shared/problems'
import { problemLine, problemMessage, skipReasonText } from './dataset-messages'
import { translate, type Lang, type Translate } from './i18n'

const tr = (lang: Lang): Translate => (key, vars) => translate(lang, key, vars)
const en = tr('en')
const zh = tr('zh')

const rgba = (w: number, h: number) => Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37) % 256)
const PNG = encodePng({ width: 2, height: 2, data: new Uint8Array([0, 64, 128, 255]), channels: 1, depth: 8 })
const BIG_PNG = encodePng({ width: 64, height: 64, data: rgba(64, 64), channels: 4, depth: 8 })
const BIG_JPG = new Uint8Array(jpeg.encode({ width: 64, height: 64, data: rgba(64, 64) }, 90).data)
const SMALL_JPG = new Uint8Array(jpeg.encode({ width: 33, height: 20, data: new Uint8Array(33 * 20 * 4) }, 80).data)

function images(paths: string[]): Record<string, Uint8Array> {
  return Object.fromEntries(paths.map((p) => [p, PNG]))
}
function annotation(doc: unknown): string {
  return JSON.stringify(doc)
}
const tag = (label: string) => [{ label, source: 'manual' }]

/** A source whose read fails for one file, as a file the browser may not read. */
function withLocked(source: FileSource, locked: string): FileSource {
  return { list: () => source.list(), read: (path) => (path === locked ? Promise.reject(new Error('permission denied')) : source.read(path)) }
}

/** What broken annotation.json text gives each thing a JSON syntax error can expect ('valid-json' is the scan's fallback, never reached). */
const BROKEN_JSON: Record<Exclude<JsonExpected, 'valid-json'>, string> = {
  string: "{'labels': 1}",
  'closing-quote': '{"labels": "open',
  'closing-quote-line': '{"labels": "open\n}',
  'hex-digits': '{"labels": "\\u12G4"}',
  escape: '{"labels": "\\x"}',
  digit: '{"labels": 1.}',
  colon: '{"labels": ["a"],\n "Train" []}',
  'comma-or-brace': '{"labels": ["a"] "Train": []}',
  'comma-or-bracket': '{"labels": ["a" "b"]}',
  value: '',
  end: '{}\n}',
  true: '{"labels": tru}',
  false: '{"labels": fals}',
  null: '{"labels": nul}',
}

/** Rows of a CSV naming image `ISIC_<n>` with label nv, for `n` from 1. */
const csvRows = (n: number, row = (i: number) => `ISIC_${i},nv`) => Array.from({ length: n }, (_, i) => row(i + 1)).join('\n')

/** Folders whose label files (CSV, annotation.json) have every problem the pages word from a code, singular and plural. */
function fileProblemRuns(): [FileSource, ReadDatasetOptions][] {
  const csv = (text: string, imagePaths: string[] = ['p/ISIC_1.jpg']) => fromMap({ 'meta.csv': text, ...images(imagePaths) })
  const json = (doc: unknown, imagePaths: string[] = ['1.png']) => fromMap({ 'annotation.json': typeof doc === 'string' ? doc : annotation(doc), ...images(imagePaths) })
  return [
    ...Object.values(BROKEN_JSON).map((text): [FileSource, ReadDatasetOptions] => [json(text), {}]),
    // Unrecognised columns: both, one of them, none at all (a CSV is only blamed when the folder holds no labelled images).
    [fromMap({ 'data.csv': 'name,kind\na,b\n', 'a.png': PNG }), {}],
    [fromMap({ 'data.csv': 'image,kind\na,b\n', 'a.png': PNG }), {}],
    [fromMap({ 'data.csv': 'name,label\na,b\n', 'a.png': PNG }), {}],
    [fromMap({ 'data.csv': '\n', 'a.png': PNG }), {}],
    [csv('image_id,dx\nISIC_1,nv\n"ISIC_2,mel\n'), {}],
    [csv('image_id,dx\n"ISIC_1"x,nv\nISIC_2,mel\n'), {}],
    [csv(`image_id,dx\n,nv\n../up.jpg,nv\n${csvRows(5)}\n`), {}],
    [csv(`image_id,dx\n${csvRows(11, () => ',nv')}\n`), {}],
    [csv(`image_id,dx\n${csvRows(12, () => ',nv')}\n`), {}],
    [csv('image_id,dx\nISIC_1,nv\nISIC_7,nv\n'), {}],
    [fromMap({ 'HAM/meta.csv': `image_id,dx\n${csvRows(6)}\n`, ...images(['HAM/ISIC_1.jpg']) }), {}],
    [csv('image_id,dx,split\nISIC_1,nv,train\nISIC_2,nv,holdout\nISIC_3,nv,later\n', ['ISIC_1.jpg', 'ISIC_2.jpg', 'ISIC_3.jpg']), {}],
    // An id matching two files once; a row repeated once; then five ambiguous ids of which three repeat.
    [csv('image_id,dx\nISIC_1,nv\n', ['a/ISIC_1.jpg', 'b/ISIC_1.jpg']), {}],
    [csv('image_id,dx\nISIC_1,nv\nISIC_1,nv\n'), {}],
    [csv('image_id,dx\nISIC_1,nv\nISIC_2,nv\nISIC_1,nv\nISIC_2,nv\nISIC_2,nv\n', ['a/ISIC_1.jpg', 'b/ISIC_1.jpg', 'a/ISIC_2.jpg', 'b/ISIC_2.jpg']), {}],
    [json('[1]'), {}],
    [json({ Validation: null }), {}],
    [json({ labels: [1], Train: [] }), {}],
    [json({ labels: ['a', 'b', 'a', 'b', 'a'], Train: [] }), {}],
    [json({ labels: [], Train: [] }), {}],
    [
      json(
        {
          labels: ['a'],
          Train: [
            5,
            { tags: tag('a') },
            { path: '../x.png', tags: tag('a') },
            { path: '1.png', tags: 'a' },
            { path: '2.png', tags: [{ label: 3 }] },
            { path: '3.png', tags: tag('zz') },
            { path: 'gone.png', tags: tag('a') },
          ],
          Validation: 5,
          Test: ['1', '2', '3', '4', '5'].map((n) => ({ path: `lost/${n}.png`, tags: tag('a') })),
        },
        ['1.png', '2.png', '3.png'],
      ),
      {},
    ],
    // Warnings come with a folder that is otherwise fine: one repeat and one multi-tagged item, then two of each.
    [json({ labels: ['a'], Train: [{ path: '1.png', tags: tag('a') }, { path: '2.png', tags: [{ label: 'a' }, ...tag('a')] }], Test: [{ path: '1.png', tags: tag('a') }] }, ['1.png', '2.png']), {}],
    [
      json(
        {
          labels: ['a'],
          Train: ['1.png', '2.png', '1.png', '2.png'].map((path) => ({ path, tags: [{ label: 'a' }, ...tag('a')] })),
          Test: [{ path: '3.png', tags: tag('a') }],
        },
        ['1.png', '2.png', '3.png'],
      ),
      {},
    ],
  ]
}

/** Real folders, read as the pages read them, that between them give every code (and singular and plural). */
async function readAll(): Promise<{ skipped: SkippedFile[]; problems: Problem[] }> {
  const runs: [FileSource, ReadDatasetOptions][] = [
    ...fileProblemRuns(),
    [
      withLocked(
        fromMap({
          ...images(['train/a/1.png', 'train/a/2.png', 'train/b/1.png', 'train/stray.png', 'extra/x.png', 'train/a/locked.png']),
          'notes.txt': 'n',
          'train/a/info.json': '{}',
          'train/a/README': 'r',
          'train/a/garbage.png': 'not an image',
          'train/a/empty.png': new Uint8Array(0),
          'train/b/head.png': PNG.subarray(0, 20),
          'train/b/in-chunk.png': BIG_PNG.subarray(0, Math.floor(BIG_PNG.length * 0.6)),
          'train/b/no-iend.png': BIG_PNG.subarray(0, BIG_PNG.length - 12),
          'train/b/in-iend.png': BIG_PNG.subarray(0, BIG_PNG.length - 2),
          'train/b/half.jpg': BIG_JPG.subarray(0, Math.floor(BIG_JPG.length / 2)),
          'train/b/no-scan.jpg': SMALL_JPG.subarray(0, 200),
        }),
        'train/a/locked.png',
      ),
      { check: true, name: 'mixed', validationFraction: 0 },
    ],
    [
      fromMap(images(['train/a/1.png', 'train/a/bad.png'])),
      { check: { decode: async (_b, path) => (path.endsWith('bad.png') ? Promise.reject(new Error('cannot be decoded as PNG: bad zlib data')) : null) } },
    ],
    [
      fromMap({
        'annotation.json': annotation({
          labels: ['a', 'z'],
          Train: [
            { path: 'images/1.png', tags: tag('a') },
            { path: 'images/2.png', tags: null },
          ],
          Test: [{ path: 'images/3.png', tags: tag('z') }],
        }),
        ...images(['images/1.png', 'images/2.png', 'images/3.png', 'images/unlisted.png']),
      }),
      {},
    ],
    [
      fromMap({
        'meta.csv': 'image_id,dx\nISIC_1,nv\nISIC_2,\nISIC_3,mel\n',
        'other.csv': 'image,label\nISIC_1,x\n',
        ...images(['p/ISIC_1.jpg', 'p/ISIC_2.jpg', 'p/ISIC_3.jpg', 'p/ISIC_9.jpg']),
      }),
      { validationFraction: 0 },
    ],
    [fromMap({ 'readme.txt': 'x' }), { name: 'mydata' }],
    // Evaluation leaves out images of labels the model lacks: one image of one label, then three of two.
    [fromMap(images(['test/a/1.png', 'train/cat/1.png'])), { taskLabels: ['a', 'b'], requireTrain: false, unknownLabels: 'leave-out' }],
    [fromMap(images(['test/a/1.png', 'train/cat/1.png', 'train/cat/2.png', 'test/dog/1.png'])), { taskLabels: ['a', 'b'], requireTrain: false, unknownLabels: 'leave-out' }],
    // One copy across splits and one across labels; then two of each.
    [fromMap({ ...images(['train/a/1.png', 'test/a/1.png', 'train/b/1.png']), 'train/a/2.png': BIG_PNG }), { check: true }],
    [fromMap({ ...images(['train/a/1.png', 'test/a/1.png', 'train/b/1.png']), 'train/a/2.png': BIG_PNG, 'test/b/2.png': BIG_PNG, 'train/b/3.png': BIG_PNG }), { check: true }],
    [fromMap({ 'train/a/IMG_1.HEIC': 'x', 'train/b/scan.tif': 'x', 'train/b/notes.txt': 'x' }), { name: 'photos' }],
    [fromMap({ 'a/IMG_1.heic': 'x' }), { name: 'photo' }],
    [fromMap(images(['1.png', '2.png'])), { name: 'Bag' }],
    [fromMap(images(['1.png'])), { name: 'One' }],
    [fromMap({ 'annotation.json': annotation({ labels: ['a'], Train: [{ path: '1.png', tags: [] }, { path: '2.png', tags: null }] }), ...images(['1.png', '2.png']) }), {}],
    [fromMap({ 'annotation.json': annotation({ labels: ['a'], Train: [{ path: '1.png', tags: null }] }), ...images(['1.png']) }), {}],
    [fromMap({ 'train/0/a.png': 'x', 'train/0/b.png': 'x', 'test/1/c.png': new Uint8Array(0) }), { check: true, name: 'allbroken' }],
    [fromMap({ '0/a.png': 'x' }), { check: true, name: 'onebroken' }],
    [fromMap({ 'train/a/1.png': 'x', 'test/a/1.png': PNG }), { check: true }],
    [fromMap({ 'train/a/1.png': 'x', 'train/a/2.png': 'x', 'test/a/1.png': PNG }), { check: true }],
    [fromMap(images(['train/a/1.png', 'train/zz/1.png', 'test/yy/1.png'])), { taskLabels: ['a', 'b'] }],
    [fromMap(images(['train/a/1.png', 'train/Cat/1.png'])), { taskLabels: ['a', 'cat'] }],
    [fromMap(images(['test/a/1.png', 'test/b/2.png'])), {}],
    [fromMap({ 'annotation.json': annotation({ labels: ['a'], Train: [], Test: [{ path: '1.png', tags: tag('a') }] }), ...images(['1.png']) }), {}],
    [fromMap(images(['train/a/1.png', 'train/a/2.png', 'test/a/3.png', 'test/b/1.png', 'test/c/1.png'])), {}],
  ]
  const skipped: SkippedFile[] = []
  const problems: Problem[] = []
  for (const [source, options] of runs) {
    const r: DatasetResult = await readDataset(source, options)
    skipped.push(...(r.ok ? r.value.skipped : (r.skipped ?? [])))
    problems.push(...(r.ok ? r.value.warnings : r.problems))
  }
  return { skipped, problems }
}

/** Every code, so a new one fails these tests until a folder above gives it. */
const SKIP_CODES: Record<NonNullable<SkippedFile['code']>, true> = {
  'outside-splits': true,
  'unsupported-type': true,
  'not-in-label-folder': true,
  'unlabelled-no-tags': true,
  'unlabelled-empty': true,
  'not-listed': true,
  'cannot-read': true,
  'empty-file': true,
  'not-an-image': true,
  'bad-header': true,
  'cut-short': true,
  undecodable: true,
}
const FILE_PROBLEM_CODES: Record<FileProblemCode, true> = {
  'invalid-json': true,
  'csv-missing-columns': true,
  'csv-syntax': true,
  'csv-empty-id': true,
  'csv-path-outside': true,
  'csv-more-row-problems': true,
  'csv-images-not-found': true,
  'csv-bad-splits': true,
  'csv-ambiguous-ids': true,
  'csv-repeated-rows': true,
  'annotation-not-object': true,
  'annotation-labels-required': true,
  'annotation-labels-not-names': true,
  'annotation-labels-repeated': true,
  'annotation-labels-empty': true,
  'annotation-split-not-list': true,
  'annotation-item-not-object': true,
  'annotation-path-missing': true,
  'annotation-path-outside': true,
  'annotation-tags-not-list': true,
  'annotation-tag-not-label': true,
  'annotation-label-unknown': true,
  'annotation-files-not-found': true,
  'annotation-train-required': true,
  'annotation-repeated-items': true,
  'annotation-multiple-tags': true,
}
/** The codes a folder can give (a task parameter's are param-problem-messages.test.ts's, a bundle's bundle-problem-messages.test.ts's). */
const PROBLEM_CODES: Record<Exclude<ProblemCode, ParamProblemCode | BundleProblemCode>, true> = {
  'no-images': true,
  'unsupported-images': true,
  'single-class-folder': true,
  'no-labelled-images': true,
  'none-readable': true,
  'unknown-labels': true,
  'unknown-labels-left-out': true,
  'no-training-images': true,
  'untrained-labels': true,
  'no-test-split': true,
  'copies-across-splits': true,
  'copies-across-labels': true,
  'extra-csvs': true,
  ...FILE_PROBLEM_CODES,
}

/**
 * Names a Chinese sentence may hold verbatim: formats, the split folders and values, annotation.json's keys and
 * JSON's literals and escapes, and the values it was given (file, label, column names, a platform's message).
 */
const VERBATIM = [
  ...['annotation.json', 'PNG', 'JPEG', 'WebP', 'BMP', 'GIF', 'CSV', 'JSON', 'IEND', 'RIFF', 'FF D9', 'train', 'val', 'validation', 'test'],
  ...['"labels"', '"Train"', '"Validation"', '"Test"', '"path"', '"tags"', '"label"', '"source"', 'labels', 'tags[', 'null', '"true"', '"false"', '"null"', '\\u', '\\n'],
]
/** Params that are codes, or a third party's English that the page words by its code: never shown in Chinese. */
const NOT_SHOWN = new Set(['end', 'expected', 'parserCode', 'parserMessage'])

function valuesOf(params: object | undefined): string[] {
  if (params === undefined) return []
  return Object.entries(params)
    .filter(([key]) => !NOT_SHOWN.has(key))
    .flatMap(([, v]) => (Array.isArray(v) ? v : [v]))
    .filter((v): v is string => typeof v === 'string')
}

/** The Latin left in a Chinese sentence once the names it may hold are taken out ("" when none). */
function latinLeft(text: string, names: string[]): string {
  let rest = text
  for (const name of [...names, ...VERBATIM].filter((n) => n !== '').sort((a, b) => b.length - a.length)) rest = rest.split(name).join(' ')
  return (rest.match(/[A-Za-z]+/g) ?? []).join(' ')
}

const { skipped, problems } = await readAll()

describe('dataset messages', () => {
  it('the folders give every skip and problem code, singular and plural', () => {
    expect(new Set(skipped.map((s) => s.code).filter((c) => c !== undefined))).toEqual(new Set(Object.keys(SKIP_CODES)))
    expect(new Set(problems.map((p) => p.code).filter((c) => c !== undefined))).toEqual(new Set(Object.keys(PROBLEM_CODES)))
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^has 1 image but/), expect.stringMatching(/^has 2 images but no label/), expect.stringMatching(/^has 1 label the/)]),
    )
  })

  it('words each skip reason in English exactly as shared/dataset does', () => {
    for (const s of skipped) expect(skipReasonText(s, en)).toBe(s.reason)
  })

  it('words each problem in English exactly as shared/dataset does, in the same one line', () => {
    for (const p of problems) {
      expect(problemMessage(p, en)).toBe(p.message)
      expect(problemLine(p, en)).toBe(p.field ? `${p.file}: ${p.field} ${p.message}` : `${p.file}: ${p.message}`)
    }
  })

  it('words them in Chinese, with no English besides the names of files, labels and formats', () => {
    for (const s of skipped.filter((s) => s.code !== undefined)) expect(latinLeft(skipReasonText(s, zh), valuesOf('params' in s ? s.params : undefined)), s.reason).toBe('')
    for (const p of problems.filter((p) => p.code !== undefined)) expect(latinLeft(problemMessage(p, zh), valuesOf('params' in p ? p.params : undefined)), p.message).toBe('')
  })

  it('leaves no {placeholder} unfilled, in either language', () => {
    for (const lang of [en, zh]) {
      for (const s of skipped) expect(skipReasonText(s, lang)).not.toMatch(/\{\w+\}/)
      for (const p of problems) expect(problemLine(p, lang)).not.toMatch(/\{\w+\}/)
    }
  })

  it('words a CSV line in the field in Chinese; a JSON path or column name stays as written', () => {
    for (const p of problems.filter((p) => p.code !== undefined && p.field !== undefined)) {
      const params = 'params' in p ? p.params : undefined
      // With a line number the field is ours ("line 3 image_id"); otherwise it is a key, path or column of the file.
      const names = params !== undefined && 'line' in params ? [p.file, ...valuesOf(params)] : [p.file, p.field ?? '', ...valuesOf(params)]
      expect(latinLeft(problemLine(p, zh), names), formatProblem(p)).toBe('')
    }
    const lines = problems.filter((p) => p.code === 'csv-empty-id' || p.code === 'csv-path-outside' || p.code === 'csv-syntax').map((p) => problemLine(p, zh))
    expect(lines).toEqual(expect.arrayContaining(['meta.csv: 第 2 行 image_id 为空：请填写图像文件名', 'meta.csv: 第 3 行 image_id "../up.jpg" 指向所选文件夹之外']))
    expect(new Set(problems.flatMap((p) => (p.code === 'csv-syntax' ? [p.params.parserCode] : [])))).toEqual(new Set(['MissingQuotes', 'InvalidQuotes']))
    expect(lines.filter((l) => l.startsWith('meta.csv: 第 ') && l.includes('引号'))).toHaveLength(3)
  })

  it('gives the label files\' problems in singular and plural', () => {
    const messages = problems.map((p) => p.message)
    for (const re of [/^and 1 more row problem$/, /^and 2 more row problems$/, /^names 1 image not found below the folder: ISIC_7$/, /^names 5 images not found below HAM: ISIC_2, ISIC_3, ISIC_4, … \(2 more\)$/]) expect(messages).toContainEqual(expect.stringMatching(re))
    for (const re of [/^1 id matches/, /^5 ids match/, /^1 row repeats/, /^3 rows repeat/, /^1 item lists/, /^2 items list/, /^1 item has/, /^2 items have/, /^lists 1 file not found/, /^lists 5 files not found/]) expect(messages).toContainEqual(expect.stringMatching(re))
    const expected = problems.flatMap((p) => (p.code === 'invalid-json' ? [p.params.expected] : []))
    expect(new Set(expected)).toEqual(new Set(Object.keys(BROKEN_JSON)))
    expect(problems.filter((p) => p.code === 'csv-missing-columns').map((p) => p.message)).toEqual([
      'needs an image id column (image_id, image, path, file) and a label column (dx, label, class); its columns are name, kind',
      'needs a label column (dx, label, class); its columns are image, kind',
      'needs an image id column (image_id, image, path, file); its columns are name, label',
      'needs an image id column (image_id, image, path, file) and a label column (dx, label, class); its columns are (none)',
    ])
  })

  it("words papaparse's errors by their code, keeping its English, and JSON's fallback", () => {
    const { errors } = Papa.parse('a,b\n1\n1,2,3\n"x,y\n', { header: true, skipEmptyLines: 'greedy' })
    const parsed = errors.map((e) => csvSyntax('t.csv', e, 2))
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['TooFewFields', 'TooManyFields', 'MissingQuotes', 'UndetectableDelimiter']))
    const unknown = csvSyntax('t.csv', { code: 'SomethingNew', message: 'Something new' }, 2)
    const fallback = invalidJson('a.json', 1, 1, 'valid-json', null)
    for (const p of [...parsed, unknown, fallback]) expect(problemLine(p, en)).toBe(formatProblem(p))
    for (const p of [...parsed, fallback]) expect(latinLeft(problemMessage(p, zh), valuesOf('params' in p ? p.params : undefined))).toBe('')
    expect(problemLine(unknown, zh)).toBe('t.csv: 第 2 行 Something new')
    expect(problemMessage(fallback, zh)).toBe('不是有效的 JSON：第 1 行第 1 列应为 有效的 JSON，但遇到了 文件末尾；请修正语法')
  })

  it('shows what has no code as it came, in both languages', () => {
    const plain: Problem = { file: 'meta.csv', field: 'line 3', message: 'Unclosed quote' }
    expect(problemLine(plain, zh)).toBe('meta.csv: line 3 Unclosed quote')
    expect(skipReasonText({ path: 'a.png', reason: 'not an image' }, zh)).toBe('not an image')
  })
})

describe('cut-short files', () => {
  const ends: Record<CutShortEnd['end'], CutShort> = {
    'in-iend': { format: 'PNG', end: 'in-iend' },
    'in-chunk': { format: 'PNG', end: 'in-chunk', chunk: 'IDAT' },
    'no-iend': { format: 'PNG', end: 'no-iend' },
    'no-scan': { format: 'JPEG', end: 'no-scan' },
    'no-eoi': { format: 'JPEG', end: 'no-eoi' },
    'in-image-block': { format: 'GIF', end: 'in-image-block' },
    'riff-bytes': { format: 'WebP', end: 'riff-bytes', have: 25, declared: 30 },
    'header-bytes': { format: 'BMP', end: 'header-bytes', have: 77, declared: 78 },
  }
  it('words every way a file ends early as shared/image-format does, and in Chinese', () => {
    for (const c of Object.values(ends)) {
      const s: SkippedFile = { path: 'x', reason: `unreadable: ${cutShortMessage(c)}`, code: 'cut-short', params: c }
      expect(skipReasonText(s, en)).toBe(s.reason)
      expect(latinLeft(skipReasonText(s, zh), valuesOf(c)), s.reason).toBe('')
    }
  })
})
