import { encode as encodePng } from 'fast-png'
import jpeg from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import { readDataset, type DatasetResult, type ReadDatasetOptions, type SkippedFile } from '../../shared/dataset'
import { fromMap, type FileSource } from '../../shared/files'
import { cutShortMessage, type CutShort, type CutShortEnd } from '../../shared/image-format'
import type { Problem, ProblemCode } from '../../shared/problems'
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

/** Real folders, read as the pages read them, that between them give every code (and singular and plural). */
async function readAll(): Promise<{ skipped: SkippedFile[]; problems: Problem[] }> {
  const runs: [FileSource, ReadDatasetOptions][] = [
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
const PROBLEM_CODES: Record<ProblemCode, true> = {
  'no-images': true,
  'single-class-folder': true,
  'no-labelled-images': true,
  'none-readable': true,
  'unknown-labels': true,
  'no-training-images': true,
  'untrained-labels': true,
  'no-test-split': true,
  'extra-csvs': true,
}

/** Names a Chinese sentence may hold verbatim: formats, the split folders, and the values it was given (file, label, column names, a platform's message). */
const VERBATIM = ['annotation.json', 'PNG', 'JPEG', 'WebP', 'BMP', 'GIF', 'CSV', 'IEND', 'RIFF', 'FF D9', 'train', 'val', 'test']

function valuesOf(params: object | undefined): string[] {
  if (params === undefined) return []
  return Object.entries(params)
    .filter(([key]) => key !== 'end') // a code, never shown
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
