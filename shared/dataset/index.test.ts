import { encode as encodePng } from 'fast-png'
import jpeg from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import { fromMap, type FileSource } from '../files'
import { formatProblem, type Result } from '../problems'
import { readDataset, summarize, type Dataset } from '.'
import { confirmCopies, sampleKey } from './copies'

const PNG = encodePng({ width: 2, height: 2, data: new Uint8Array([0, 64, 128, 255]), channels: 1, depth: 8 })

function folder(files: Record<string, Uint8Array | string>): FileSource {
  return fromMap(files)
}
function images(paths: string[]): Record<string, Uint8Array> {
  return Object.fromEntries(paths.map((p) => [p, PNG]))
}
function range<T>(n: number, f: (i: number) => T): T[] {
  return Array.from({ length: n }, (_, i) => f(i))
}
function ok(r: Result<Dataset>): Dataset {
  if (!r.ok) throw new Error(`expected a dataset, got: ${r.problems.map(formatProblem).join('; ')}`)
  return r.value
}
function problems(r: Result<Dataset>): string[] {
  if (r.ok) throw new Error('expected problems, got a dataset')
  return r.problems.map(formatProblem)
}

describe('ImageFolder layout', () => {
  it('reads train/val/test folders with exact counts and skips what is not an image in a label folder', async () => {
    const src = folder({
      ...images(['train/cat/1.png', 'train/cat/2.JPG', 'train/cat/sub/3.png', 'train/dog/1.png', 'train/dog/2.webp']),
      ...images(['val/cat/v1.png', 'val/dog/v2.png', 'test/dog/t1.bmp', 'train/stray.png', 'extra/x.png']),
      'notes.txt': 'hello',
      'train/cat/.DS_Store': 'junk',
      '__MACOSX/train/cat/._1.png': 'junk',
      'train/dog/info.json': '{}',
    })
    const d = ok(await readDataset(src))
    expect(d.layout).toBe('imagefolder')
    expect(d.root).toBe('')
    expect(d.labels).toEqual(['cat', 'dog'])
    expect(d.validationFromTrain).toBe(false)
    expect(d.counts).toEqual({ train: { cat: 3, dog: 2 }, validation: { cat: 1, dog: 1 }, test: { cat: 0, dog: 1 } })
    expect(d.splits.train.map((i) => i.path)).toEqual(['train/cat/1.png', 'train/cat/2.JPG', 'train/cat/sub/3.png', 'train/dog/1.png', 'train/dog/2.webp'])
    expect(d.skipped).toMatchObject([
      { path: 'extra/x.png', reason: 'outside the train/, val/ and test/ folders' },
      { path: 'notes.txt', reason: 'outside the train/, val/ and test/ folders' },
      { path: 'train/dog/info.json', reason: 'unsupported file type .json' },
      { path: 'train/stray.png', reason: 'not inside a label folder' },
    ])
    expect(d.warnings).toEqual([])
  })

  it('reads <label>/ folders at the root as training data and draws validation from them', async () => {
    const src = folder({ ...images(range(20, (i) => `b/${i}.png`)), ...images(range(10, (i) => `a/${i}.png`)), 'README.md': '#' })
    const d = ok(await readDataset(src))
    expect(d.labels).toEqual(['a', 'b'])
    expect(d.validationFromTrain).toBe(true)
    expect(d.validationSplit).toEqual({ seed: 1, fraction: 0.1 })
    expect(d.counts).toEqual({ train: { a: 9, b: 18 }, validation: { a: 1, b: 2 }, test: { a: 0, b: 0 } })
    expect(d.skipped).toMatchObject([{ path: 'README.md', reason: 'unsupported file type .md' }])
    expect(d.warnings.map(formatProblem)).toEqual(['.: has no test split: this participant adds nothing to the final test metrics'])
  })

  it('steps into a single wrapping folder, but not into a lone label folder', async () => {
    const wrapped = ok(await readDataset(folder(images(['data/HAM/train/x/1.png', 'data/HAM/test/x/2.png']))))
    expect(wrapped.root).toBe('data/HAM')
    expect(wrapped.counts.test).toEqual({ x: 1 })
    expect(wrapped.splits.test).toEqual([{ path: 'data/HAM/test/x/2.png', label: 'x' }])
    const lone = ok(await readDataset(folder(images(['cat/1.png', 'cat/2.png']))))
    expect(lone.root).toBe('')
    expect(lone.labels).toEqual(['cat'])
    // round(2 × 0.1) = 0: too few images to draw validation from.
    expect(lone.counts.train).toEqual({ cat: 2 })
    expect(lone.counts.validation).toEqual({ cat: 0 })
  })

  it('reports an empty train split and a folder without images', async () => {
    expect(problems(await readDataset(folder(images(['test/a/1.png']))))).toEqual([
      '.: has no training images: put them in train/<label>/ or <label>/ folders',
    ])
    const none = problems(await readDataset(folder({ 'readme.txt': 'x' }), { name: 'mydata' }))
    expect(none).toHaveLength(1)
    expect(none[0]).toMatch(/^mydata: has no images \(PNG, JPEG, WebP, BMP, GIF\)/)
    expect(problems(await readDataset(folder({}), { name: 'empty' }))[0]).toMatch(/^empty: has no images/)
  })

  it('reads a test-only folder for evaluation when requireTrain is false', async () => {
    const d = ok(await readDataset(folder(images(['test/a/1.png', 'test/b/2.png'])), { requireTrain: false }))
    expect([d.splits.train.length, d.splits.validation.length, d.counts.test]).toEqual([0, 0, { a: 1, b: 1 }])
    // Training warnings (no training images for a, b) are not news for a folder that is only evaluated.
    expect(d.warnings).toEqual([])
    const trainOnly = ok(await readDataset(folder(images(['train/a/1.png', 'train/b/2.png'])), { requireTrain: false, validationFraction: 0 }))
    expect(trainOnly.warnings).toEqual([])
    // Read for training, the same test-only folder is refused.
    expect(problems(await readDataset(folder(images(['test/a/1.png', 'test/b/2.png']))))).toEqual(['.: has no training images: put them in train/<label>/ or <label>/ folders'])
  })

  it('says which formats to convert when a folder holds only image files it cannot read (iPhone HEIC, TIFF, DICOM)', async () => {
    const src = folder({ 'train/cat/IMG_1.HEIC': 'x', 'train/cat/IMG_2.heic': 'x', 'train/dog/scan.tif': 'x', 'train/dog/s.dcm': 'x', 'train/dog/notes.txt': 'x' })
    expect(problems(await readDataset(src, { name: 'photos' }))).toEqual([
      'photos: has 4 image files in formats autofed does not read (.dcm, .heic, .tif) and no image it reads (PNG, JPEG, WebP, BMP, GIF): convert them to PNG or JPEG',
    ])
    // Only files that are not images at all: there is nothing to convert.
    expect(problems(await readDataset(folder({ 'train/cat/notes.txt': 'x' }), { name: 'notes' }))[0]).toMatch(/^notes: has no images/)
  })

  it('says a folder of loose images looks like a single class folder and names the expected layouts', async () => {
    const bag = problems(await readDataset(folder(images(['1.png', '2.png', '3.png', '4.png', '5.png'])), { name: 'Bag' }))
    expect(bag).toEqual([
      'Bag: has 5 images but no label folders: this looks like the folder of a single class ("Bag"). ' +
        'Pick the folder above it, laid out as <label>/… (one subfolder per label) or train/<label>/…, val/<label>/…, test/<label>/…, ' +
        'or a folder with annotation.json or a CSV naming each image and its label',
    ])
  })
})

function annotation(doc: unknown): string {
  return JSON.stringify(doc, null, 2)
}
const tag = (label: string, source = 'manual') => [{ label, source }]

describe('annotation.json layout', () => {
  it('keeps the labels order, skips unlabelled items, prefers the manual tag', async () => {
    const src = folder({
      'annotation.json': annotation({
        labels: ['z', 'a', 'unused'],
        Train: [
          { path: 'images/1.png', tags: tag('a') },
          { path: 'images/2.png', tags: tag('z') },
          { path: 'images/3.png', tags: null },
          { path: 'images/4.png', tags: [] },
          { path: 'images/5.png', tags: [{ label: 'z', source: 'model' }, { label: 'a', source: 'manual' }] },
          { path: './images/6.png', tags: tag('a') },
        ],
        Validation: null,
        Test: [{ path: 'images/t1.png', tags: tag('z') }],
      }),
      ...images(range(6, (i) => `images/${i + 1}.png`)),
      ...images(['images/t1.png', 'images/unlisted.png']),
      'images/notes.txt': 'x',
    })
    const d = ok(await readDataset(src, { validationFraction: 0 }))
    expect(d.layout).toBe('annotation')
    expect(d.labels).toEqual(['z', 'a', 'unused'])
    expect(d.splits.train).toEqual([
      { path: 'images/1.png', label: 'a' },
      { path: 'images/2.png', label: 'z' },
      { path: 'images/5.png', label: 'a' },
      { path: 'images/6.png', label: 'a' },
    ])
    expect(d.counts).toEqual({ train: { z: 1, a: 3, unused: 0 }, validation: { z: 0, a: 0, unused: 0 }, test: { z: 1, a: 0, unused: 0 } })
    expect(d.validationFromTrain).toBe(false)
    expect(d.skipped).toMatchObject([
      { path: 'images/3.png', reason: 'unlabelled (no tags)' },
      { path: 'images/4.png', reason: 'unlabelled (no tags)' },
      { path: 'images/notes.txt', reason: 'unsupported file type .txt' },
      { path: 'images/unlisted.png', reason: 'not listed in annotation.json' },
    ])
    expect(d.warnings.map(formatProblem)).toEqual(['annotation.json: 1 item has more than one tag; the first manual tag was used (first: Train[4] (used tags[1]))'])
  })

  it('names the item whose label is not in labels', async () => {
    const train = range(13, (i) => ({ path: `${i}.png`, tags: tag(i === 12 ? '7' : '1') }))
    const src = folder({ 'annotation.json': annotation({ labels: ['0', '1'], Train: train, Validation: null, Test: null }), ...images(range(13, (i) => `${i}.png`)) })
    expect(problems(await readDataset(src))).toEqual(['annotation.json: Train[12].tags[0].label "7" is not in labels'])
  })

  it('gives the line and column of malformed JSON', async () => {
    const src = folder({ 'annotation.json': '{\n  "labels": ["a",]\n}', 'a.png': PNG })
    expect(problems(await readDataset(src))).toEqual([
      'annotation.json: is not valid JSON: line 2, column 18: expected a value, found "]"; fix the syntax',
    ])
  })

  it('counts the missing files and names the first few', async () => {
    const train = ['a.png', 'b.png', 'c.png', 'd.png', 'here.png'].map((path) => ({ path, tags: tag('x') }))
    const src = folder({ 'annotation.json': annotation({ labels: ['x'], Train: train, Validation: [], Test: null }), 'here.png': PNG })
    expect(problems(await readDataset(src))).toEqual([
      'annotation.json: Train lists 4 files not found in the folder (paths are relative to the folder holding annotation.json): a.png, b.png, c.png, … (1 more)',
    ])
  })

  it('refuses paths that leave the folder and reports every structural problem at once', async () => {
    const src = folder({
      'annotation.json': annotation({
        labels: ['x', 'x'],
        Train: [{ path: '../secret.png', tags: tag('x') }, { path: '/etc/passwd', tags: tag('x') }, { path: 'ok.png', tags: 'x' }, 5],
        Test: {},
      }),
      'ok.png': PNG,
    })
    expect(problems(await readDataset(src))).toEqual([
      'annotation.json: labels lists "x" more than once',
      'annotation.json: Train[0].path "../secret.png" points outside the folder; paths are relative to the folder holding annotation.json',
      'annotation.json: Train[1].path "/etc/passwd" points outside the folder; paths are relative to the folder holding annotation.json',
      'annotation.json: Train[2].tags must be a list of {"label", "source"} or null',
      'annotation.json: Train[3] must be an object with "path" and "tags"',
      'annotation.json: Test must be a list of {"path", "tags"} items or null',
    ])
  })

  it('uses an image listed twice only once, and says so', async () => {
    const src = folder({
      'annotation.json': annotation({
        labels: ['x', 'y'],
        Train: [{ path: 'a.png', tags: tag('x') }, { path: 'b.png', tags: tag('y') }],
        Validation: null,
        Test: [{ path: './a.png', tags: tag('x') }, { path: 'c.png', tags: tag('y') }],
      }),
      ...images(['a.png', 'b.png', 'c.png']),
    })
    const d = ok(await readDataset(src, { validationFraction: 0 }))
    expect(d.counts).toEqual({ train: { x: 1, y: 1 }, validation: { x: 0, y: 0 }, test: { x: 0, y: 1 } })
    expect(d.warnings.map(formatProblem)).toEqual([
      'annotation.json: 1 item lists an image already listed; only the first listing was used (Test[0] repeats Train[0])',
    ])
  })

  it('requires labels and Train', async () => {
    expect(problems(await readDataset(folder({ 'annotation.json': '{"Validation": null}', 'a.png': PNG })))).toEqual([
      'annotation.json: labels is required: the list of label names',
      'annotation.json: Train is required: the list of training images',
    ])
  })

  it('reports a folder whose items are all unlabelled', async () => {
    const src = folder({ 'annotation.json': annotation({ labels: ['x'], Train: [{ path: 'a.png', tags: null }], Validation: null, Test: null }), 'a.png': PNG })
    expect(problems(await readDataset(src))).toEqual(['annotation.json: has no labelled images (1 unlabelled image)'])
  })
})

describe('CSV layout', () => {
  const HAM_CSV = [
    'lesion_id,image_id,dx,dx_type,age,sex,localization',
    'HAM_1,ISIC_001,nv,histo,60,male,back',
    'HAM_2,ISIC_002,mel,histo,55,female,face',
    'HAM_3,ISIC_003.jpg,nv,follow_up,40,male,trunk',
    'HAM_4,ISIC_004,bkl,consensus,70,female,scalp',
    'HAM_5,ISIC_005,,consensus,70,female,scalp',
    '',
  ].join('\n')

  it('matches image ids anywhere below the root, with or without extension', async () => {
    const src = folder({
      'HAM10000_metadata.csv': HAM_CSV,
      ...images(['part_1/ISIC_001.jpg', 'part_1/ISIC_002.JPG', 'part_2/ISIC_003.jpg', 'part_2/ISIC_004.png', 'part_2/ISIC_005.jpg', 'part_2/ISIC_999.jpg']),
      'part_2/readme.txt': 'x',
    })
    const d = ok(await readDataset(src, { validationFraction: 0 }))
    expect(d.layout).toBe('csv')
    expect(d.labels).toEqual(['bkl', 'mel', 'nv'])
    expect(d.splits.train).toEqual([
      { path: 'part_1/ISIC_001.jpg', label: 'nv', group: 'HAM_1' },
      { path: 'part_1/ISIC_002.JPG', label: 'mel', group: 'HAM_2' },
      { path: 'part_2/ISIC_003.jpg', label: 'nv', group: 'HAM_3' },
      { path: 'part_2/ISIC_004.png', label: 'bkl', group: 'HAM_4' },
    ])
    expect(d.counts.train).toEqual({ bkl: 1, mel: 1, nv: 2 })
    expect(d.skipped).toMatchObject([
      { path: 'part_2/ISIC_005.jpg', reason: 'unlabelled (empty dx in HAM10000_metadata.csv)' },
      { path: 'part_2/ISIC_999.jpg', reason: 'not listed in HAM10000_metadata.csv' },
      { path: 'part_2/readme.txt', reason: 'unsupported file type .txt' },
    ])
  })

  it('draws validation by lesion: the photos of one lesion_id never sit on both sides', async () => {
    // 30 lesions of nv with 1-4 photos each (65 images), 10 single-photo lesions of mel.
    const rows = ['lesion_id,image_id,dx']
    const files: string[] = []
    let n = 0
    for (let lesion = 0; lesion < 40; lesion++) {
      const photos = lesion < 30 ? [1, 2, 3, 4, 2, 1][lesion % 6] : 1
      for (let p = 0; p < photos; p++, n++) {
        rows.push(`HAM_${lesion},ISIC_${n},${lesion < 30 ? 'nv' : 'mel'}`)
        files.push(`img/ISIC_${n}.jpg`)
      }
    }
    const d = ok(await readDataset(folder({ 'HAM10000_metadata.csv': rows.join('\n'), ...images(files) }), { validationFraction: 0.2, seed: 7 }))
    expect(d.validationSplit).toEqual({ seed: 7, fraction: 0.2, groupedBy: 'lesion_id' })
    const side = new Map<string, Set<string>>()
    for (const s of ['train', 'validation'] as const) for (const i of d.splits[s]) side.set(i.group!, (side.get(i.group!) ?? new Set()).add(s))
    expect([...side.values()].filter((s) => s.size > 1)).toEqual([])
    // nv: 20% of 65 images is 13; whole lesions get within a lesion of that. mel: 2 of 10.
    expect(Math.abs(d.counts.validation.nv - 13)).toBeLessThanOrEqual(2)
    expect(d.counts.validation.mel).toBe(2)
    expect(d.splits.train.length + d.splits.validation.length).toBe(75)
    expect(summarize(d)).toContain("20% of each label's training images drawn with seed 7, images of one lesion_id kept together")
  })

  it('takes the first of several images with the same name and the first of repeated rows, with warnings', async () => {
    // Kaggle's HAM10000 ships each image folder twice (HAM10000_images_part_1 and ham10000_images_part_1).
    const csv = 'image_id,dx\nISIC_1,nv\nISIC_2,mel\nISIC_1,mel\n'
    const src = folder({ 'meta.csv': csv, ...images(['A/ISIC_1.jpg', 'a/ISIC_1.jpg', 'A/ISIC_2.jpg', 'a/ISIC_2.jpg']) })
    const d = ok(await readDataset(src, { validationFraction: 0 }))
    expect(d.splits.train).toEqual([{ path: 'A/ISIC_1.jpg', label: 'nv' }, { path: 'A/ISIC_2.jpg', label: 'mel' }])
    expect(d.warnings.map(formatProblem)).toEqual([
      'meta.csv: image_id 3 ids match more than one image; the first was used (ISIC_1: A/ISIC_1.jpg, a/ISIC_1.jpg)',
      'meta.csv: 1 row repeats an image already listed; the first row was used',
      'meta.csv: has no test split: this participant adds nothing to the final test metrics',
    ])
    expect(d.skipped).toMatchObject([
      { path: 'a/ISIC_1.jpg', reason: 'not listed in meta.csv' },
      { path: 'a/ISIC_2.jpg', reason: 'not listed in meta.csv' },
    ])
  })

  it('uses a split column and reports unknown split values', async () => {
    const csv = 'file,label,split\na.png,x,train\nb.png,y,train\nc.png,x,val\nd.png,y,test\n'
    const d = ok(await readDataset(folder({ 'labels.csv': csv, ...images(['img/a.png', 'img/b.png', 'img/c.png', 'img/d.png']) })))
    expect(d.counts).toEqual({ train: { x: 1, y: 1 }, validation: { x: 1, y: 0 }, test: { x: 0, y: 1 } })
    expect(d.validationFromTrain).toBe(false)
    const bad = 'file,label,split\na.png,x,train\nb.png,y,holdout\n'
    expect(problems(await readDataset(folder({ 'labels.csv': bad, ...images(['a.png', 'b.png']) })))).toEqual([
      'labels.csv: split has values "holdout"; use train, validation or test',
    ])
  })

  it('reports missing images, paths leaving the folder and unrecognised columns', async () => {
    const csv = 'image,class\nx1.png,a\n../../etc/passwd,a\nx2,a\nx3,b\nhere,a\n'
    expect(problems(await readDataset(folder({ 'data.csv': csv, 'here.png': PNG })))).toEqual([
      'data.csv: line 3 image "../../etc/passwd" points outside the folder',
      'data.csv: image names 3 images not found below the folder: x1.png, x2, x3',
    ])
    expect(problems(await readDataset(folder({ 'data.csv': 'name,kind\na,b\n', 'a.png': PNG })))).toEqual([
      'data.csv: needs an image id column (image_id, image, path, file) and a label column (dx, label, class); its columns are name, kind',
    ])
  })

  it('names the line of a quote error as the file numbers it, after a quoted field that spans lines too', async () => {
    const lines = (r: Result<Dataset>) => problems(r).filter((p) => /quote/i.test(p)).map((p) => p.split(' ').slice(0, 3).join(' '))
    const bad = 'file,label\na.png,x\n"b.png"junk,y\n'
    expect(lines(await readDataset(folder({ 'labels.csv': bad, ...images(['a.png', 'b.png']) })))).toEqual(['labels.csv: line 3', 'labels.csv: line 3'])
    const spanning = 'file,label,note\na.png,x,"two\nlines"\nb.png,y,ok\n"c.png,x,\n'
    expect(lines(await readDataset(folder({ 'labels.csv': spanning, ...images(['a.png', 'b.png', 'c.png']) })))).toEqual(['labels.csv: line 5'])
  })
})

describe('task labels', () => {
  const src = () => folder(images(['train/cat/1.png', 'train/dog/1.png', 'train/emu/1.png', 'train/cat/2.png']))
  it('lists every label the task does not know in one problem', async () => {
    expect(problems(await readDataset(src(), { taskLabels: ['cat', 'bird'] }))).toEqual([
      ".: has 2 labels the task does not know: dog, emu (the task's labels are cat, bird)",
    ])
  })
  it('for an evaluation, leaves out the images of labels the model lacks, with a warning, unless nothing is left', async () => {
    const mixed = folder(images(['test/cat/1.png', 'test/dog/1.png', 'train/emu/1.png', 'train/emu/2.png', 'train/cat/3.png']))
    const d = ok(await readDataset(mixed, { taskLabels: ['cat', 'dog'], requireTrain: false, unknownLabels: 'leave-out', validationFraction: 0 }))
    expect(d.counts.test).toEqual({ cat: 1, dog: 1 })
    expect(d.counts.train).toEqual({ cat: 1, dog: 0 })
    expect(d.warnings.map(formatProblem)).toContain(".: has 2 images under 1 label the model does not know (emu): they are left out of the evaluation (the model's labels are cat, dog)")
    expect(problems(await readDataset(folder(images(['test/emu/1.png'])), { taskLabels: ['cat', 'dog'], requireTrain: false, unknownLabels: 'leave-out' }))).toEqual([
      ".: has 1 label the task does not know: emu (the task's labels are cat, dog)",
    ])
    // For training (the default) an unknown label stays a problem.
    expect(problems(await readDataset(mixed, { taskLabels: ['cat', 'dog'] }))).toEqual([".: has 1 label the task does not know: emu (the task's labels are cat, dog)"])
  })
  it("uses the task's label order, with zero counts for labels the folder lacks", async () => {
    const d = ok(await readDataset(src(), { taskLabels: ['emu', 'dog', 'cat', 'bird'], validationFraction: 0 }))
    expect(d.labels).toEqual(['emu', 'dog', 'cat', 'bird'])
    expect(d.counts.train).toEqual({ emu: 1, dog: 1, cat: 2, bird: 0 })
  })
})

describe('Unicode forms: a name written decomposed (macOS) and the same name composed are one', () => {
  // "Mélanome" and "양성" (benign), composed (NFC) and decomposed (NFD: e + U+0301, Hangul as jamo).
  const MEL = 'M\u00e9lanome'
  const MEL_NFD = 'Me\u0301lanome'
  const BENIGN = '\uc591\uc131'
  const BENIGN_NFD = BENIGN.normalize('NFD')

  it('ImageFolder: label folders in both forms are one label, spelled composed', async () => {
    expect(MEL_NFD).not.toBe(MEL)
    expect(BENIGN_NFD).not.toBe(BENIGN)
    const d = ok(await readDataset(folder(images([`train/${MEL_NFD}/1.png`, `train/${MEL}/2.png`, `train/${BENIGN_NFD}/3.png`, `train/${BENIGN}/4.png`])), { validationFraction: 0 }))
    expect(d.labels).toEqual([MEL, BENIGN].sort())
    expect(d.counts.train).toEqual({ [MEL]: 2, [BENIGN]: 2 })
    // The files are still read under the names they have.
    expect(d.splits.train.map((i) => i.path).sort()).toEqual([`train/${MEL_NFD}/1.png`, `train/${MEL}/2.png`, `train/${BENIGN_NFD}/3.png`, `train/${BENIGN}/4.png`].sort())
  })

  it('a folder written decomposed joins a task whose labels are composed, and the other way round, in the task\'s spelling', async () => {
    const nfd = folder(images([`train/${MEL_NFD}/1.png`, `train/${BENIGN_NFD}/2.png`]))
    const d = ok(await readDataset(nfd, { taskLabels: [BENIGN, MEL], validationFraction: 0 }))
    expect(d.labels).toEqual([BENIGN, MEL])
    expect(d.counts.train).toEqual({ [BENIGN]: 1, [MEL]: 1 })
    expect(d.splits.train.map((i) => i.label).sort()).toEqual([BENIGN, MEL].sort())
    const nfc = folder(images([`train/${MEL}/1.png`]))
    const e = ok(await readDataset(nfc, { taskLabels: [MEL_NFD], validationFraction: 0 }))
    expect(e.splits.train.map((i) => i.label)).toEqual([MEL_NFD])
    expect(e.counts.train).toEqual({ [MEL_NFD]: 1 })
    // A label that is another text is still unknown.
    expect(problems(await readDataset(nfc, { taskLabels: ['Melanome'] }))).toEqual([
      `.: has 1 label the task does not know: ${MEL} (the task's labels are Melanome)`,
    ])
  })

  it('CSV: a row names a decomposed file name composed, and its label counts with the composed one', async () => {
    const csv = ['image_id,dx', `${MEL}_1,${MEL}`, `${MEL}_2,${MEL_NFD}`, 'x_3,nv', ''].join('\n')
    const d = ok(await readDataset(folder({ 'labels.csv': csv, ...images([`img/${MEL_NFD}_1.jpg`, `img/${MEL}_2.jpg`, 'img/x_3.jpg']) }), { validationFraction: 0 }))
    expect(d.counts.train).toEqual({ [MEL]: 2, nv: 1 })
    expect(d.splits.train.map((i) => i.path).sort()).toEqual([`img/${MEL_NFD}_1.jpg`, `img/${MEL}_2.jpg`, 'img/x_3.jpg'].sort())
  })

  it('annotation.json: listed paths find decomposed files, tags match labels in either form, and a label listed in both forms is listed twice', async () => {
    const doc = { labels: [MEL, 'nv'], Train: [{ path: `a/${MEL}.png`, tags: [{ label: MEL_NFD }] }, { path: 'a/n.png', tags: [{ label: 'nv' }] }] }
    const d = ok(await readDataset(folder({ 'annotation.json': JSON.stringify(doc), ...images([`a/${MEL_NFD}.png`, 'a/n.png']) }), { validationFraction: 0 }))
    expect(d.counts.train).toEqual({ [MEL]: 1, nv: 1 })
    expect(d.splits.train.map((i) => i.path).sort()).toEqual([`a/${MEL_NFD}.png`, 'a/n.png'].sort())
    expect(d.skipped).toEqual([])
    const twice = { ...doc, labels: [MEL, MEL_NFD] }
    const p = problems(await readDataset(folder({ 'annotation.json': JSON.stringify(twice), ...images([`a/${MEL_NFD}.png`, 'a/n.png']) })))
    expect(p.join('\n')).toContain(MEL)
    expect(p.join('\n')).toMatch(/more than once|twice|repeat/i)
  })
})

describe('unreadable images', () => {
  it('counts a garbage .png and a cut-short header as skipped, not fatal', async () => {
    const src = folder({
      ...images(['train/a/1.png', 'train/a/2.png', 'train/b/1.png']),
      'train/a/garbage.png': 'this is not a png',
      'train/b/cut.png': PNG.subarray(0, 20),
      'train/b/empty.jpg': new Uint8Array(0),
    })
    const d = ok(await readDataset(src, { check: true, validationFraction: 0 }))
    expect(d.counts.train).toEqual({ a: 2, b: 1 })
    expect(d.skipped).toMatchObject([
      { path: 'train/a/garbage.png', reason: 'unreadable: not a PNG, JPEG, WebP, BMP or GIF file' },
      { path: 'train/b/cut.png', reason: 'unreadable: PNG header is cut short or invalid' },
      { path: 'train/b/empty.jpg', reason: 'unreadable: empty file' },
    ])
  })
  it('skips files cut short after an intact header (a half-copied PNG or JPEG), which the decoder would fail on mid-training', async () => {
    const big = encodePng({ width: 32, height: 32, data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 37) % 256), channels: 3, depth: 8 })
    const jpg = new Uint8Array(jpeg.encode({ width: 32, height: 32, data: Uint8Array.from({ length: 32 * 32 * 4 }, (_, i) => (i * 13) % 256) }, 90).data)
    const src = folder({
      ...images(['train/a/1.png', 'train/b/1.png']),
      'train/a/whole.jpg': jpg,
      'train/a/half.jpg': jpg.subarray(0, Math.floor(jpg.length / 2)),
      'train/b/part.png': big.subarray(0, Math.floor(big.length * 0.6)),
    })
    const d = ok(await readDataset(src, { check: true, validationFraction: 0 }))
    expect(d.counts.train).toEqual({ a: 2, b: 1 })
    expect(d.skipped).toMatchObject([
      { path: 'train/a/half.jpg', reason: 'unreadable: JPEG file is cut short: it has no end-of-image marker (FF D9); copy or download it again' },
      { path: 'train/b/part.png', reason: 'unreadable: PNG file is cut short: it ends inside a chunk (IDAT), before the IEND chunk; copy or download it again' },
    ])
  })
  it('leaves a file cut short to the decoder when one is given, in its own words', async () => {
    const src = folder({ ...images(['train/a/1.png']), 'train/a/cut.png': PNG.subarray(0, PNG.length - 12) })
    const decode = async (bytes: Uint8Array) => {
      if (bytes.length < PNG.length) throw new Error('cannot be decoded as PNG: unexpected end of data')
      return null
    }
    const d = ok(await readDataset(src, { check: { decode }, validationFraction: 0 }))
    expect(d.skipped).toMatchObject([{ path: 'train/a/cut.png', reason: 'unreadable: cannot be decoded as PNG: unexpected end of data' }])
  })
  it('uses the decoder when given and reports its error and progress', async () => {
    const src = folder(images(['train/a/1.png', 'train/a/2.png', 'train/a/3.png']))
    const progress: number[] = []
    const decode = async (_bytes: Uint8Array, path: string) => {
      if (path.endsWith('2.png')) throw new Error('cannot be decoded as PNG: bad zlib data')
      return null
    }
    const d = ok(await readDataset(src, { check: { decode, onProgress: (done, total) => progress.push(done * 10 + total) }, validationFraction: 0 }))
    expect(d.counts.train).toEqual({ a: 2 })
    expect(d.skipped).toMatchObject([{ path: 'train/a/2.png', reason: 'unreadable: cannot be decoded as PNG: bad zlib data' }])
    expect(progress).toEqual([13, 23, 33])
  })
  it('fails when every training image is unreadable, saying they were found, with the skipped files and why', async () => {
    const src = folder({ 'train/a/1.png': 'x', 'test/a/1.png': PNG, 'train/b/notes.txt': 'n' })
    const r = await readDataset(src, { check: true })
    expect(problems(r)).toEqual(['.: has 1 training image but none can be read (see the skipped files for why): replace it with readable PNG, JPEG, WebP, BMP or GIF files'])
    expect(!r.ok && r.skipped).toMatchObject([
      { path: 'train/a/1.png', reason: 'unreadable: not a PNG, JPEG, WebP, BMP or GIF file' },
      { path: 'train/b/notes.txt', reason: 'unsupported file type .txt' },
    ])
  })
  it('fails when every image is unreadable, counting them, with every skipped file (also for a folder only evaluated)', async () => {
    const src = folder({ 'train/0/a.png': 'text', 'train/0/b.png': 'text', 'train/1/c.png': new Uint8Array(0), 'test/1/d.png': PNG.subarray(0, 20) })
    for (const requireTrain of [true, false]) {
      const r = await readDataset(src, { check: true, name: 'allbroken', requireTrain })
      expect(problems(r)).toEqual(['allbroken: has 4 images but none can be read (see the skipped files for why): replace them with readable PNG, JPEG, WebP, BMP or GIF files'])
      expect(!r.ok && r.skipped).toMatchObject([
        { path: 'test/1/d.png', reason: 'unreadable: PNG header is cut short or invalid' },
        { path: 'train/0/a.png', reason: 'unreadable: not a PNG, JPEG, WebP, BMP or GIF file' },
        { path: 'train/0/b.png', reason: 'unreadable: not a PNG, JPEG, WebP, BMP or GIF file' },
        { path: 'train/1/c.png', reason: 'unreadable: empty file' },
      ])
    }
  })
  it('still names labels the task does not know when the training images are unreadable', async () => {
    const src = folder({ 'train/a/1.png': 'x', 'test/zz/1.png': PNG })
    expect(problems(await readDataset(src, { check: true, taskLabels: ['a'] }))).toEqual([
      ".: has 1 label the task does not know: zz (the task's labels are a)",
      '.: has 1 training image but none can be read (see the skipped files for why): replace it with readable PNG, JPEG, WebP, BMP or GIF files',
    ])
  })
})

describe('copies of one file', () => {
  /** A PNG of its own for each n: different pixels, different bytes. */
  const png = (n: number) => encodePng({ width: 2, height: 2, data: new Uint8Array([n & 255, n >> 8, 7, 9]), channels: 1, depth: 8 })
  const distinct = (paths: string[], from = 0) => Object.fromEntries(paths.map((p, i) => [p, png(from + i)]))

  it('warns of a training image copied into test, and of one image filed under two labels, naming a pair', async () => {
    const src = folder({ ...distinct(['train/cat/1.png', 'train/cat/2.png', 'train/dog/1.png', 'train/dog/2.png']), 'test/cat/t.png': png(0), 'train/dog/3.png': png(1) })
    const d = ok(await readDataset(src, { check: true, name: 'clinic' }))
    expect(d.warnings.map(formatProblem).filter((w) => w.includes('byte for byte'))).toEqual([
      'clinic: has 1 image copied into more than one split, byte for byte (train/cat/1.png and test/cat/t.png): a copy of a training image is not unseen, so the validation and test figures overstate; keep one copy',
      'clinic: has 1 image filed under two labels, byte for byte (train/cat/2.png and train/dog/3.png): one of the labels is wrong; keep the right copy',
    ])
    // Without reading the files, copies are not known.
    expect(ok(await readDataset(src, { name: 'clinic' })).warnings.map(formatProblem).filter((w) => w.includes('byte for byte'))).toEqual([])
  })

  it('keeps the copies of a file on one side of the drawn validation split', async () => {
    // 30 distinct images of one label and 6 copies of a 31st: whichever side the copies land on, they land together.
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const files = { ...distinct(range(30, (i) => `a/${i}.png`)), ...Object.fromEntries(range(6, (i) => [`a/copy${i}.png`, png(999)])), ...distinct(['b/1.png', 'b/2.png'], 500) }
      const d = ok(await readDataset(folder(files), { check: true, seed, validationFraction: 0.2 }))
      const inValidation = d.splits.validation.filter((i) => i.path.includes('copy')).length
      expect([0, 6], `seed ${seed}`).toContain(inValidation)
    }
  })

  it('compares whole files: the same length and sampled bytes with one byte apart is no copy', async () => {
    const a = new Uint8Array(100_000).fill(3)
    const b = a.slice()
    b[50_000 + 1000] = 4 // between the sampled windows
    const c = a.slice()
    expect(sampleKey(b)).toBe(sampleKey(a))
    const source = fromMap({ 'x/a.png': a, 'x/b.png': b, 'x/c.png': c })
    expect(await confirmCopies(source, new Map([[sampleKey(a), ['x/b.png', 'x/c.png', 'x/a.png']]]))).toEqual([['x/a.png', 'x/c.png']])
  })

  it('makes one group of many identical files (blank placeholders), in path order', async () => {
    const blank = png(7)
    const paths = range(300, (i) => `train/a/${String(i).padStart(3, '0')}.png`)
    const src = folder({ ...Object.fromEntries(paths.map((p) => [p, blank])), ...distinct(['train/b/1.png', 'train/b/2.png'], 100) })
    const d = ok(await readDataset(src, { check: true, validationFraction: 0.1 }))
    // The 300 copies are one unit: all in train or all in validation, never split.
    expect([0, 300]).toContain(d.splits.validation.filter((i) => i.path.startsWith('train/a/')).length)
    const read = { count: 0 }
    const counting: FileSource = { list: src.list, read: (p) => { read.count++; return src.read(p) } }
    expect(await confirmCopies(counting, new Map([[sampleKey(blank), paths.slice().reverse()]]))).toEqual([paths])
    expect(read.count).toBe(300)
  })
})

describe('validation split', () => {
  const files = [...range(95, (i) => `a/${String(i).padStart(3, '0')}.png`), ...range(37, (i) => `b/${i}.png`), 'c/only.png']
  const paths = (d: Dataset) => d.splits.validation.map((i) => i.path)

  it('is stratified per label: round(n × fraction), never a label’s last image', async () => {
    const d = ok(await readDataset(folder(images(files)), { validationFraction: 0.2, seed: 7 }))
    expect(d.counts.validation).toEqual({ a: 19, b: 7, c: 0 })
    expect(d.counts.train).toEqual({ a: 76, b: 30, c: 1 })
    const all = new Set([...d.splits.train, ...d.splits.validation].map((i) => i.path))
    expect(all.size).toBe(133)
  })

  it('is the same for the same seed whatever the listing order, and differs for another seed', async () => {
    const a = ok(await readDataset(folder(images(files)), { seed: 7 }))
    const b = ok(await readDataset(folder(images(files.slice().reverse())), { seed: 7 }))
    const c = ok(await readDataset(folder(images(files)), { seed: 8 }))
    expect(paths(a)).toHaveLength(14)
    expect(paths(b)).toEqual(paths(a))
    expect(paths(c)).not.toEqual(paths(a))
    expect(c.counts.validation).toEqual(a.counts.validation)
  })

  it('rejects a fraction outside [0, 1)', async () => {
    expect(problems(await readDataset(folder(images(files)), { validationFraction: 1 }))).toEqual([
      'options: validationFraction must be at least 0 and below 1',
    ])
  })
})

describe('summarize', () => {
  it('prints the layout, the count table, the validation note and skipped files by reason', async () => {
    const src = folder({ ...images(range(10, (i) => `train/cat/${i}.png`)), ...images(range(5, (i) => `train/dog/${i}.png`)), ...images(['test/cat/t.png']), 'train/cat/x.txt': 'x', 'train/dog/y.txt': 'y' })
    const d = ok(await readDataset(src, { seed: 3 }))
    expect(summarize(d)).toBe(
      [
        'layout: imagefolder',
        'labels (2): cat, dog',
        '',
        'label  train  validation  test',
        'cat        9           1     1',
        'dog        4           1     0',
        'total     13           2     1',
        '',
        "validation: none in the folder; 10% of each label's training images drawn with seed 3",
        'skipped: 2 files',
        '  2 × unsupported file type .txt: train/cat/x.txt, train/dog/y.txt',
      ].join('\n'),
    )
  })

  it('says when labels are too small to give any validation image, and what that means', async () => {
    const d = ok(await readDataset(folder(images([...range(4, (i) => `cat/${i}.png`), ...range(3, (i) => `dog/${i}.png`)])), { seed: 3 }))
    expect(d.splits.validation).toEqual([])
    expect(summarize(d)).toContain(
      "validation: none in the folder; 10% of each label's training images drawn with seed 3\n" +
        '  (none drawn: too few training images; a label needs 5 to give one, so this participant reports no validation results)\n',
    )
  })
})
