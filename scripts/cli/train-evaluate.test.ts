import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import Papa from 'papaparse'
import { describe, expect, it } from 'vitest'
import { parseBundle, TFJS_MODEL_FILE } from '../../shared/bundle'
import { readAll } from '../../shared/files'
import { buildModel } from '../../shared/model'
import { directorySource } from '../../edge/adapter/node/files'
import { cli, mnistCase } from './cli.case'

const mnist = mnistCase('train-evaluate', { perClass: 12, testPerClass: 4, seed: 3, config: { epochs: 2 } })

describe('autofed train, then autofed evaluate', () => {
  const result = () => join(mnist.root, 'result')

  it('evaluate prints exactly the test accuracy train reported, and writes one CSV row per image', async () => {
    const train = await cli(['train', '--bundle', mnist.bundleZip, '--data', mnist.data, '--out', result(), '--seed', '1'])
    expect(train.err).toEqual([])
    expect(train.code).toBe(0)
    const trained = train.out.find((l) => l.startsWith('test accuracy '))
    // 40 test images (4 per digit); the figure itself depends on the run, the agreement must be exact.
    expect(trained).toMatch(/^test accuracy \d\.\d{6} \(\d+\/40\), loss \d+\.\d{6}$/)

    const evalDir = join(mnist.root, 'evaluation')
    const evaluate = await cli(['evaluate', '--model', result(), '--data', mnist.data, '--out', evalDir])
    expect(evaluate.code).toBe(0)
    const printed = evaluate.out.find((l) => l.startsWith('accuracy '))
    expect(`test ${printed}`).toBe(trained)
    expect(evaluate.out).toContain(`wrote ${join(evalDir, 'predictions.csv')}`)

    const csv = Papa.parse<Record<string, string>>(await readFile(join(evalDir, 'predictions.csv'), 'utf8'), { header: true, skipEmptyLines: true })
    expect(csv.data.length).toBe(40)
    expect(csv.meta.fields?.slice(0, 7)).toEqual(['path', 'true_label', 'predicted_label', 'probability', 'true_probability', 'loss', 'correct'])
    const correct = csv.data.filter((r) => r.correct === '1').length
    expect(printed).toContain(`(${correct}/40)`)

    const analysis = JSON.parse(await readFile(join(evalDir, 'model_analysis_results.json'), 'utf8'))
    const samples = JSON.parse(await readFile(join(evalDir, 'all_samples.json'), 'utf8'))
    expect(analysis.sample_count).toBe(40)
    expect(analysis.accuracy).toBe(correct / 40)
    expect(samples.name_list.length).toBe(40)
    expect(samples.pred_list[0].length).toBe(10)

    // --json prints the same figures.
    const json = await cli(['evaluate', '--model', result(), '--data', mnist.data, '--json'])
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ examples: 40, correct, accuracy: correct / 40, split: 'test' })
  })

  it('the result bundle is a valid bundle whose tfjs export tf.loadLayersModel loads and predicts identically', async () => {
    const files = await readAll(await directorySource(result()))
    const bundle = parseBundle(files)
    if (!bundle.ok) throw new Error(JSON.stringify(bundle.problems))
    expect(bundle.value.card.isFederated).toBe(false)
    expect(bundle.value.card.description).toContain("tf.loadLayersModel('https://your.host/path/tfjs/model.json')")
    expect(bundle.value.card.description).toContain("load_file('model.safetensors')")

    // An IOHandler that reads model.json and the shards its manifest names, as tfjs's http loader does.
    const handler: tf.io.IOHandler = {
      load: async () =>
        tf.io.getModelArtifactsForJSON(JSON.parse(new TextDecoder().decode(files.get(TFJS_MODEL_FILE))), async (manifest) => {
          const specs = manifest.flatMap((g) => g.weights)
          const shards = manifest.flatMap((g) => g.paths.map((p) => files.get(`tfjs/${p}`) as Uint8Array))
          const joined = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0))
          let at = 0
          for (const s of shards) {
            joined.set(s, at)
            at += s.byteLength
          }
          return [specs, joined.buffer]
        }),
    }
    const loaded = await tfl.loadLayersModel(handler)
    const { model } = await buildModel(bundle.value)
    const x = tf.randomUniform([3, 28, 28, 1], -1, 2, 'float32', 7)
    const [a, b] = [loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor]
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()))
    tf.dispose([x, a, b])
    loaded.dispose()
    model.dispose()
  })

  it('errors are one line naming the file', async () => {
    const missing = await cli(['evaluate', '--model', join(mnist.root, 'nope'), '--data', mnist.data])
    expect([missing.code, missing.err]).toEqual([1, [`${join(mnist.root, 'nope')}: does not exist; give a bundle folder or a .zip of one`]])

    const cats = join(mnist.root, 'cats')
    await mkdir(join(cats, 'test', 'cat'), { recursive: true })
    await writeFile(join(cats, 'test', 'cat', 'a.png'), await readFile(join(mnist.data, 'test', '0', (await readAll(await directorySource(join(mnist.data, 'test', '0')))).keys().next().value as string)))
    const unknown = await cli(['evaluate', '--model', result(), '--data', cats])
    expect([unknown.code, unknown.err]).toEqual([1, [`${cats}: has 1 label the task does not know: cat (the task's labels are 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)`]])

    // A folder with only a test split is fine to evaluate, and a split it lacks is named.
    await rm(join(cats, 'test', 'cat'), { recursive: true })
    await mkdir(join(cats, 'test', '0'))
    await writeFile(join(cats, 'test', '0', 'a.png'), await readFile(join(mnist.data, 'test', '0', (await readAll(await directorySource(join(mnist.data, 'test', '0')))).keys().next().value as string)))
    const testOnly = await cli(['evaluate', '--model', result(), '--data', cats])
    expect([testOnly.code, testOnly.out[0]]).toEqual([0, `${result()} on ${cats} (test): 1 image`])
    const noTrain = await cli(['evaluate', '--model', result(), '--data', cats, '--split', 'train'])
    expect([noTrain.code, noTrain.err]).toEqual([1, [`${cats}: has no train images to evaluate; pick another --split (counts: autofed inspect data ${cats})`]])
    const badSplit = await cli(['evaluate', '--model', result(), '--data', mnist.data, '--split', 'dev'])
    expect([badSplit.code, badSplit.err]).toEqual([1, ['autofed evaluate: --split must be test, validation, train, all; got "dev"']])
  })

  it('checks --out and --data before any work: the error names the option, the path in the way and what to do', async () => {
    const plain = join(mnist.root, 'plain')
    await writeFile(plain, 'x')
    const train = (data: string, out: string) => cli(['train', '--bundle', mnist.bundleZip, '--data', data, '--out', out, '--epochs', '1'])
    const folderHelp = 'give a folder you can write to (it is made if missing), or a file name ending in .zip'
    // Nothing is printed before the error: no training ran.
    expect(await train(mnist.data, join(plain, 'result'))).toEqual({ code: 1, out: [], err: [`autofed train: --out ${join(plain, 'result')}: ${plain} is not a folder; ${folderHelp}`] })
    expect(await train(mnist.data, plain)).toEqual({ code: 1, out: [], err: [`autofed train: --out ${plain}: ${plain} is a file; ${folderHelp}`] })
    expect(await train(mnist.data, join(plain, 'r.zip'))).toEqual({ code: 1, out: [], err: [`autofed train: --out ${join(plain, 'r.zip')}: ${plain} is not a folder; give a file name in a folder you can write to`] })
    const evaluate = await cli(['evaluate', '--model', mnist.bundleZip, '--data', mnist.data, '--out', join(plain, 'eval')])
    expect(evaluate).toEqual({ code: 1, out: [], err: [`autofed evaluate: --out ${join(plain, 'eval')}: ${plain} is not a folder; give a folder you can write to (it is made if missing)`] })

    const nope = join(mnist.root, 'nope')
    expect((await train(nope, join(mnist.root, 'r1'))).err).toEqual([`${nope}: does not exist; give the data folder`])
    expect((await train(plain, join(mnist.root, 'r1'))).err).toEqual([`${plain}: is not a folder; give the data folder`])
    expect((await cli(['evaluate', '--model', mnist.bundleZip, '--data', nope])).err).toEqual([`${nope}: does not exist; give the data folder`])
  })

  it('says which files the folder has that are not images, and how many test images could not be read', async () => {
    const messy = join(mnist.root, 'messy')
    await cp(mnist.data, messy, { recursive: true })
    const png = await readFile(join(messy, 'test', '0', (await readdir(join(messy, 'test', '0')))[0]))
    await writeFile(join(messy, 'test', '0', 'empty.png'), new Uint8Array())
    await writeFile(join(messy, 'test', '1', 'garbage.png'), 'not an image')
    // Its header and its end are intact, so the folder check passes it (as the browser's would); its pixels
    // are garbled, so it fails only when decoded: the count of a split's unreadable images.
    const garbled = Uint8Array.from(png)
    garbled.fill(0xaa, 40, garbled.length - 20)
    await writeFile(join(messy, 'test', '2', 'garbled.png'), garbled)
    await writeFile(join(messy, 'test', 'notes.txt'), 'notes')
    await writeFile(join(messy, 'train', 'readme.txt'), 'readme')
    await writeFile(join(messy, 'train', 'loose.png'), png)
    // Read with the browser's check: the empty and the non-image .png are skipped before any split is drawn.
    const skipped = [
      'skipped: 5 files',
      '  2 × unsupported file type .txt: test/notes.txt, train/readme.txt',
      '  1 × not inside a label folder: train/loose.png',
      '  1 × unreadable: empty file: test/0/empty.png',
      '  1 × unreadable: not a PNG, JPEG, WebP, BMP or GIF file: test/1/garbage.png',
    ]

    const out = join(mnist.root, 'messy-result')
    const train = await cli(['train', '--bundle', mnist.bundleZip, '--data', messy, '--out', out, '--epochs', '1'])
    expect(train.code).toBe(0)
    expect(train.out.slice(0, 5)).toEqual(skipped)
    expect(train.out.find((l) => l.startsWith('Testing result: '))).toMatch(/^Testing result: avg_loss=\d+\.\d{4} correct_rate=\d\.\d\d \(1 unreadable file skipped\)$/)
    expect(train.out).toContain('test: 1 of 41 images could not be read and are left out')
    expect(train.out.find((l) => l.startsWith('test accuracy '))).toMatch(/^test accuracy \d\.\d{6} \(\d+\/40\), loss \d+\.\d{6}$/)

    const evaluate = await cli(['evaluate', '--model', out, '--data', messy])
    expect(evaluate.code).toBe(0)
    expect(evaluate.err).toEqual(skipped)
    expect(evaluate.out[0]).toBe(`${out} on ${messy} (test): 40 images (1 unreadable file skipped)`)
  })
})
