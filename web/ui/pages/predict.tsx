import { useEffect, useRef } from 'hono/jsx/dom'
import { useLiveState } from '../live-state'
import type { Explanation } from '../../evaluate'
import type { Classification, FolderPrediction, Predictor } from '../../predict'
import { ErrorBox, messageOf, percent } from '../components'
import { downloadFile } from '../download'
import { FolderPicker } from '../folder-picker'
import { HeatmapCanvas } from '../heatmap'
import type { PickedFolder } from '../folder-picker'
import { useT } from '../i18n'
import { ChosenModel, useLibrary } from '../model-library'
import { usePredictor } from '../use-predictor'

/** How many rows of a folder prediction the page lists; the CSV has them all. */
const SHOWN_ROWS = 200

type Single = { name: string; url: string; bytes: Uint8Array; result: Classification; labels: string[] }
type FolderRun = { name: string; done: number; total: number; notImages: number; rows: FolderPrediction[]; finished: boolean }

/**
 * The model library (add a bundle zip, folder, built-in bundle or a task's best version; choose, rename,
 * delete) and prediction with the chosen model, all in this browser: one image (top-k, class index, every
 * probability) or a whole folder, downloaded as CSV. Nothing is uploaded.
 */
export function PredictPage() {
  const t = useT()
  const lib = useLibrary()
  const model = usePredictor(lib.current)
  const [error, setError] = useLiveState<string | null>(null)
  const [over, setOver] = useLiveState(false)
  const [busy, setBusy] = useLiveState(false)
  const [single, setSingle] = useLiveState<Single | null>(null)
  const [run, setRun] = useLiveState<FolderRun | null>(null)
  const fileInput = useRef<HTMLInputElement>(null)
  const loaded = model.loaded

  const classify = async (file: File) => {
    if (!loaded) return
    setBusy(true)
    setError(null)
    try {
      const bytes = new Uint8Array(await file.arrayBuffer())
      const result = await loaded.predictor.classify(bytes, file.name, 5)
      if (single) URL.revokeObjectURL(single.url)
      setSingle({ name: file.name, url: URL.createObjectURL(file), bytes, result, labels: loaded.predictor.labels })
    } catch (err) {
      setError(messageOf(err, t))
    } finally {
      setBusy(false)
    }
  }
  // A dropped or picked .zip is a model for the library; anything else is an image to classify.
  const take = (file: File) => {
    if (/\.zip$/i.test(file.name)) void lib.addZip(file)
    else void classify(file)
  }
  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setOver(false)
    const file = e.dataTransfer?.files[0]
    if (file) take(file)
  }

  const predictFolder = async (folder: PickedFolder) => {
    if (!loaded) return
    setError(null)
    try {
      const { folderImages } = await import('../../predict')
      const { images: paths, notImages } = await folderImages(folder.source)
      const rows: FolderPrediction[] = []
      const at = (finished: boolean) => ({ name: folder.name, done: rows.length, total: paths.length, notImages, rows: finished ? rows : [...rows], finished })
      setRun(at(false))
      for (const path of paths) {
        try {
          const r = await loaded.predictor.classify(await folder.source.read(path), path, 1)
          const best = r.top[0]
          rows.push({ path, label: best.label, index: best.index, probability: best.probability })
        } catch (err) {
          rows.push({ path, error: messageOf(err, t) })
        }
        setRun(at(false))
      }
      setRun(at(true))
    } catch (err) {
      setError(messageOf(err, t))
    }
  }
  const downloadCsv = async () => {
    if (!run) return
    const { predictionsCsv } = await import('../../predict')
    downloadFile(`${run.name || 'predictions'}-predictions.csv`, predictionsCsv(run.rows), 'text/csv')
  }

  return (
    <section>
      <h1>{t('predict.title')}</h1>
      <p class="muted">{t('predict.local')}</p>
      <ChosenModel lib={lib} model={model} error={error} using={(l) => t('predict.using', { name: l.entry.name, classes: l.predictor.labels.length })} />
      {loaded ? (
        <>
          <h2>{t('predict.image')}</h2>
          <div
            class={over ? 'drop over' : 'drop'}
            data-testid="drop-zone"
            onDragOver={(e: DragEvent) => {
              e.preventDefault()
              setOver(true)
            }}
            onDragLeave={() => setOver(false)}
            onDrop={onDrop}
          >
            <p>
              {t('predict.drop')}{' '}
              <button type="button" onClick={() => fileInput.current?.click()}>
                {t('predict.pick')}
              </button>
            </p>
            <input
              ref={fileInput}
              type="file"
              accept="image/*,.zip"
              hidden
              data-testid="predict-input"
              onChange={(e: Event) => {
                const file = (e.target as HTMLInputElement).files?.[0]
                if (file) take(file)
              }}
            />
          </div>
          {busy ? <p class="muted">{t('predict.running')}</p> : null}
          {single ? <SingleResult single={single} predictor={loaded.predictor} /> : null}
          <h2>{t('predict.folder')}</h2>
          <p class="muted">{t('predict.folderHelp')}</p>
          <FolderPicker label={t('predict.pickFolder')} testId="predict-folder" onError={setError} onPicked={(f) => void predictFolder(f)} />
          {run ? <FolderResult run={run} onDownload={downloadCsv} /> : null}
        </>
      ) : null}
    </section>
  )
}

function SingleResult(props: { single: Single; predictor: Predictor }) {
  const t = useT()
  const { single } = props
  const [cam, setCam] = useLiveState<Explanation | string | null>(null)
  useEffect(() => setCam(null), [single])
  const showCam = async () => {
    try {
      const { explain } = await import('../../evaluate')
      setCam(await explain(props.predictor, single.bytes, single.name, single.result.top[0]?.index))
    } catch (err) {
      setCam(messageOf(err, t))
    }
  }
  return (
    <div class="card" data-testid="predict-result">
      <h2>{t('predict.result', { name: single.name })}</h2>
      <div class="row" style="align-items:flex-start">
        <div>
          <img class="preview" style="width:160px;height:160px;object-fit:contain" src={single.url} alt={single.name} />
          {cam && typeof cam !== 'string' ? (
            <div>
              <HeatmapCanvas e={cam} size={160} testId="predict-cam" />
            </div>
          ) : null}
        </div>
        <table class="beside">
          <thead>
            <tr>
              <th>{t('common.label')}</th>
              <th class="num">{t('predict.index')}</th>
              <th />
              <th class="num">{t('predict.probability')}</th>
            </tr>
          </thead>
          <tbody>
            {single.result.top.map((p, i) => (
              <tr data-testid={i === 0 ? 'predict-top' : 'predict-row'} data-label={p.label} data-index={p.index}>
                <td>{p.label}</td>
                <td class="num">{p.index}</td>
                <td style="width:40%">
                  <div class="bar" style={`width:${Math.max(1, p.probability * 100)}%`} />
                </td>
                <td class="num">{percent(p.probability)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cam === null ? (
        <p>
          <button type="button" onClick={() => void showCam()} data-testid="predict-cam-button">
            {t('predict.gradcam')}
          </button>
        </p>
      ) : typeof cam === 'string' ? (
        <ErrorBox message={cam} />
      ) : (
        <p class="muted">{t('predict.gradcamHelp', { label: single.labels[cam.classIndex] ?? String(cam.classIndex), layer: cam.layer })}</p>
      )}
      <details data-testid="predict-all">
        <summary>{t('predict.all', { n: single.result.probabilities.length })}</summary>
        <div class="table-wrap">
          <table>
            <tbody>
              {single.result.probabilities.map((p, i) => (
                <tr data-testid="predict-prob" data-index={i} data-value={p}>
                  <td class="num">{i}</td>
                  <td>{single.labels[i] ?? String(i)}</td>
                  <td class="num">{p.toFixed(6)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  )
}

function FolderResult(props: { run: FolderRun; onDownload: () => void }) {
  const t = useT()
  const { run } = props
  const failed = run.rows.filter((r) => 'error' in r).length
  return (
    <div class="card" data-testid="folder-result" data-name={run.name} data-done={run.finished ? 'true' : 'false'} data-rows={run.rows.length} data-failed={failed} data-not-images={run.notImages}>
      <p>
        {run.finished
          ? t('predict.folderDone', { name: run.name, classified: run.rows.length - failed, failed, other: run.notImages })
          : t('predict.folderRunning', { done: run.done, total: run.total, name: run.name })}
      </p>
      {run.finished ? (
        <p>
          <button type="button" class="primary" onClick={props.onDownload} data-testid="predict-csv">
            {t('predict.csv')}
          </button>
        </p>
      ) : null}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t('predict.path')}</th>
              <th>{t('common.label')}</th>
              <th class="num">{t('predict.index')}</th>
              <th class="num">{t('predict.probability')}</th>
            </tr>
          </thead>
          <tbody>
            {run.rows.slice(0, SHOWN_ROWS).map((r) => (
              <tr>
                <td>
                  <code>{r.path}</code>
                </td>
                {'error' in r ? (
                  <td colspan={3} class="muted">
                    {r.error}
                  </td>
                ) : (
                  <>
                    <td>{r.label}</td>
                    <td class="num">{r.index}</td>
                    <td class="num">{percent(r.probability)}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {run.rows.length > SHOWN_ROWS ? <p class="muted">{t('predict.more', { n: run.rows.length - SHOWN_ROWS })}</p> : null}
    </div>
  )
}
