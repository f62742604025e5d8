import { useEffect } from 'hono/jsx/dom'
import { useLiveState } from '../live-state'
import type { Dataset, SkippedFile } from '../../../shared/dataset'
import { ALL_SAMPLES_FILE, ANALYSIS_FILE, PREDICTIONS_FILE, evaluationFiles, mostConfused, topLosses } from '../../../shared/evaluate'
import type { EvaluateProgress, Evaluation, ImagePrediction } from '../../../shared/evaluate'
import type { Problem } from '../../../shared/problems'
import { SPLIT_CHOICES, explain, filterRows, readLabelledFolder, sortRows, evaluateSplit } from '../../evaluate'
import type { Explanation, RowFilter, Sort, SortKey, SplitChoice } from '../../evaluate'
import { ClassMetrics } from '../class-metrics'
import { Problems, Stat, messageOf, percent } from '../components'
import { DatasetSummary } from '../dataset-summary'
import { downloadFile } from '../download'
import { FolderPicker } from '../folder-picker'
import type { PickedFolder } from '../folder-picker'
import { HeatmapCanvas } from '../heatmap'
import { useT } from '../i18n'
import type { StringKey } from '../i18n'
import { ChosenModel, useLibrary } from '../model-library'
import { SkippedFiles } from '../skipped-files'
import { usePredictor } from '../use-predictor'
import type { Loaded } from '../use-predictor'

/** Rows of the per-image table shown at once; the CSV has every image. */
const SHOWN_ROWS = 300
/** Images in the top-losses gallery. */
const TOP_LOSSES = 12
/** Most-confused pairs listed. */
const CONFUSED_SHOWN = 10

type Done = { evaluation: Evaluation; split: SplitChoice; folder: PickedFolder; model: Loaded }

/**
 * Evaluate a library model on a local labelled folder, in this browser: accuracy, loss, per-class metrics,
 * confusion matrix, most confused pairs, a sortable and filterable per-image table with the CSV and ModelArts
 * JSON downloads, and the top losses as a gallery of the user's own images with Grad-CAM. Nothing is uploaded.
 */
export function EvaluatePage() {
  const t = useT()
  const lib = useLibrary()
  const model = usePredictor(lib.current)
  const loaded = model.loaded
  const [folder, setFolder] = useLiveState<PickedFolder | null>(null)
  const [dataset, setDataset] = useLiveState<Dataset | null>(null)
  const [problems, setProblems] = useLiveState<Problem[]>([])
  /** Files skipped in a folder that has problems: often the reason for them (every image unreadable). */
  const [skipped, setSkipped] = useLiveState<SkippedFile[]>([])
  const [reading, setReading] = useLiveState(false)
  const [split, setSplit] = useLiveState<SplitChoice>('test')
  const [progress, setProgress] = useLiveState<EvaluateProgress | null>(null)
  const [done, setDone] = useLiveState<Done | null>(null)
  const [error, setError] = useLiveState<string | null>(null)

  // The folder is read against the chosen model's labels, again whenever the model changes.
  useEffect(() => {
    setDataset(null)
    setProblems([])
    setSkipped([])
    if (!folder || !loaded) return
    let alive = true
    setReading(true)
    readLabelledFolder(folder.source, folder.name, loaded.predictor.labels)
      .then((r) => {
        if (!alive) return
        if (r.ok) {
          setDataset(r.value)
          // Test when the folder has a test split, else everything it has.
          setSplit(r.value.splits.test.length > 0 ? 'test' : 'all')
        } else {
          setProblems(r.problems)
          setSkipped(r.skipped ?? [])
        }
      })
      .catch((err) => alive && setError(messageOf(err, t)))
      .finally(() => alive && setReading(false))
    return () => {
      alive = false
    }
  }, [folder, loaded?.entry.id])

  const run = async () => {
    if (!loaded || !dataset || !folder) return
    setError(null)
    setDone(null)
    setProgress({ done: 0, total: 0 })
    try {
      const evaluation = await evaluateSplit({ predictor: loaded.predictor, source: folder.source, dataset, split, onProgress: setProgress })
      setDone({ evaluation, split, folder, model: loaded })
    } catch (err) {
      setError(messageOf(err, t))
    } finally {
      setProgress(null)
    }
  }

  const count = (s: SplitChoice) => (dataset ? (s === 'all' ? dataset.splits.train.length + dataset.splits.validation.length + dataset.splits.test.length : dataset.splits[s].length) : 0)
  return (
    <section>
      <h1>{t('evaluate.title')}</h1>
      <p class="muted">{t('evaluate.intro')}</p>
      <ChosenModel lib={lib} model={model} error={error} using={(l) => t('evaluate.using', { name: l.entry.name, labels: l.predictor.labels.join(', ') })} />
      {loaded ? (
        <>
          <h2>{t('evaluate.folder')}</h2>
          <FolderPicker onPicked={setFolder} onError={setError} />
          {reading && folder ? <p class="muted">{t('folder.reading', { name: folder.name })}</p> : null}
          <Problems title={t('evaluate.problems')} problems={problems} testId="dataset-problems" />
          <SkippedFiles skipped={skipped} />
          {dataset && folder ? (
            <>
              <DatasetSummary dataset={dataset} folder={folder.name} />
              <div class="row">
                <label for="eval-split" style="margin:0">
                  {t('evaluate.split')}
                </label>
                <select id="eval-split" style="width:auto" value={split} data-testid="eval-split" onChange={(e: Event) => setSplit((e.target as HTMLSelectElement).value as SplitChoice)}>
                  {SPLIT_CHOICES.map((s) => (
                    <option value={s}>
                      {t(`evaluate.split.${s}` as StringKey)} ({count(s)})
                    </option>
                  ))}
                </select>
                <button type="button" class="primary" disabled={progress !== null || count(split) === 0} onClick={run} data-testid="eval-run">
                  {t('evaluate.run')}
                </button>
              </div>
              {progress ? (
                <p class="muted" data-testid="eval-progress">
                  {t('evaluate.progress', { done: progress.done, total: progress.total || count(split) })}
                </p>
              ) : null}
            </>
          ) : null}
          {done ? <Report done={done} /> : null}
        </>
      ) : null}
    </section>
  )
}

function Report(props: { done: Done }) {
  const t = useT()
  const { evaluation: e, split, folder, model } = props.done
  const correct = e.confusion.reduce((s, row, i) => s + row[i], 0)
  const download = (name: string) => {
    const files = evaluationFiles(e, { model: model.entry.name, data: folder.name, split })
    const bytes = files.get(name)
    if (bytes) downloadFile(name, bytes, name.endsWith('.csv') ? 'text/csv' : 'application/json')
  }
  const confused = mostConfused(e.confusion, e.labels).slice(0, CONFUSED_SHOWN)
  const title = <h2>{t('evaluate.results', { name: model.entry.name, folder: folder.name, split: t(`evaluate.split.${split}` as StringKey) })}</h2>
  // No image decoded: an accuracy of 0/0 and a matrix of zeros would read as a model that is always wrong.
  if (e.examples === 0)
    return (
      <div data-testid="eval-report">
        {title}
        <p class="error" data-testid="eval-none">
          {t('evaluate.noneRead', { count: e.skipped.length })}
        </p>
        <SkippedFiles skipped={e.skipped} testId="eval-skipped" />
      </div>
    )
  return (
    <div data-testid="eval-report">
      {title}
      <div class="stats">
        <Stat k={t('evaluate.accuracy')} v={`${percent(e.accuracy)} (${correct}/${e.examples})`} testId="eval-accuracy" value={e.accuracy} />
        <Stat k={t('evaluate.loss')} v={Number.isNaN(e.loss) ? '—' : e.loss.toFixed(4)} testId="eval-loss" value={Number.isNaN(e.loss) ? null : e.loss} />
        <Stat k={t('evaluate.examples')} v={e.examples} testId="eval-examples" value={e.examples} />
        <Stat k={t('evaluate.skipped')} v={e.skipped.length} />
      </div>
      <SkippedFiles skipped={e.skipped} testId="eval-skipped" />
      <p class="row" style="margin-top:12px">
        <button type="button" class="primary" onClick={() => download(PREDICTIONS_FILE)} data-testid="eval-download-csv">
          {PREDICTIONS_FILE}
        </button>
        <button type="button" onClick={() => download(ANALYSIS_FILE)} data-testid="eval-download-analysis">
          {ANALYSIS_FILE}
        </button>
        <button type="button" onClick={() => download(ALL_SAMPLES_FILE)} data-testid="eval-download-samples">
          {ALL_SAMPLES_FILE}
        </button>
      </p>
      <ClassMetrics classes={e.classes} labels={e.labels} confusion={e.confusion} testIdPrefix="eval-" markMistakes />
      <h2>{t('evaluate.confused')}</h2>
      {confused.length === 0 ? (
        <p class="muted">{t('evaluate.confusedNone')}</p>
      ) : (
        <ol data-testid="eval-confused">
          {confused.map((p) => (
            <li>{t('evaluate.confusedPair', { actual: p.actual, predicted: p.predicted, count: p.count })}</li>
          ))}
        </ol>
      )}
      <TopLosses done={props.done} />
      <ImageTable e={e} />
    </div>
  )
}

/** The images the model got most wrong, read from the picked folder as object URLs (never uploaded), with Grad-CAM on demand. */
function TopLosses(props: { done: Done }) {
  const t = useT()
  const { evaluation: e, folder, model } = props.done
  const [urls, setUrls] = useLiveState<Map<string, string>>(new Map())
  const [heat, setHeat] = useLiveState<Map<string, Explanation | string>>(new Map())
  const top = topLosses(e.images, TOP_LOSSES)
  useEffect(() => {
    let alive = true
    const made: string[] = []
    ;(async () => {
      const out = new Map<string, string>()
      for (const im of top) {
        const bytes = await folder.source.read(im.path)
        const url = URL.createObjectURL(new Blob([bytes.slice().buffer as ArrayBuffer]))
        made.push(url)
        out.set(im.path, url)
      }
      if (alive) setUrls(out)
    })().catch(() => undefined)
    return () => {
      alive = false
      for (const url of made) URL.revokeObjectURL(url)
    }
  }, [props.done])
  const showCam = async (im: ImagePrediction) => {
    try {
      const x = await explain(model.predictor, await folder.source.read(im.path), im.path, im.predicted)
      setHeat(new Map(heat).set(im.path, x))
    } catch (err) {
      setHeat(new Map(heat).set(im.path, messageOf(err, t)))
    }
  }
  return (
    <>
      <h2>{t('evaluate.topLosses')}</h2>
      <p class="muted">{t('evaluate.topLossesHelp')}</p>
      <div class="gallery" data-testid="eval-top-losses">
        {top.map((im) => {
          const cam = heat.get(im.path)
          return (
            <figure class={im.predicted === im.truth ? 'tile' : 'tile wrong'} data-testid="eval-top-loss" data-path={im.path}>
              <div class={cam && typeof cam !== 'string' ? 'tile-images two' : 'tile-images'}>
                {urls.get(im.path) ? <img src={urls.get(im.path)} alt={im.path} data-testid="eval-thumb" /> : <div class="thumb-empty" />}
                {cam && typeof cam !== 'string' ? <HeatmapCanvas e={cam} size={64} testId="eval-cam" /> : null}
              </div>
              <figcaption>
                <div>
                  {t('evaluate.tileLabels', { truth: e.labels[im.truth], predicted: e.labels[im.predicted] })}
                </div>
                <div class="muted">{t('evaluate.tileFigures', { loss: im.loss.toFixed(3), probability: percent(im.probability) })}</div>
                <div class="muted tile-path" title={im.path}>
                  {im.path}
                </div>
                {typeof cam === 'string' ? <div class="error">{cam}</div> : null}
                {!cam ? (
                  <button type="button" class="small" onClick={() => void showCam(im)} data-testid="eval-cam-button">
                    {t('evaluate.gradcam')}
                  </button>
                ) : null}
              </figcaption>
            </figure>
          )
        })}
      </div>
    </>
  )
}

const COLUMNS: Array<{ key: SortKey; label: StringKey; num?: boolean }> = [
  { key: 'path', label: 'predict.path' },
  { key: 'truth', label: 'evaluate.truth' },
  { key: 'predicted', label: 'evaluate.predicted' },
  { key: 'probability', label: 'predict.probability', num: true },
  // The image's own cross-entropy, on whichever split was evaluated (not the results page's test loss).
  { key: 'loss', label: 'evaluate.imageLoss', num: true },
]

/** Every image: filter by right/wrong and by text (path or label), sort by any column. */
function ImageTable(props: { e: Evaluation }) {
  const t = useT()
  const { e } = props
  const [filter, setFilter] = useLiveState<RowFilter>({ text: '', which: 'all' })
  const [sort, setSort] = useLiveState<Sort>({ key: 'loss', descending: true })
  const rows = sortRows(filterRows(e.images, e.labels, filter), e.labels, sort)
  const by = (key: SortKey) => setSort(sort.key === key ? { key, descending: !sort.descending } : { key, descending: key === 'loss' || key === 'probability' })
  return (
    <>
      <h2>{t('evaluate.images')}</h2>
      <div class="row">
        <input type="text" style="flex:1;width:auto" placeholder={t('evaluate.filterText')} aria-label={t('evaluate.filterText')} value={filter.text} onInput={(ev: Event) => setFilter({ ...filter, text: (ev.target as HTMLInputElement).value })} data-testid="eval-filter" />
        <select style="width:auto" aria-label={t('evaluate.whichLabel')} value={filter.which} onChange={(ev: Event) => setFilter({ ...filter, which: (ev.target as HTMLSelectElement).value as RowFilter['which'] })} data-testid="eval-which">
          <option value="all">{t('evaluate.which.all')}</option>
          <option value="wrong">{t('evaluate.which.wrong')}</option>
          <option value="right">{t('evaluate.which.right')}</option>
        </select>
        <span class="muted" data-testid="eval-row-count" data-value={rows.length}>
          {t('evaluate.rows', { n: rows.length, total: e.images.length })}
        </span>
      </div>
      <div class="table-wrap">
        <table data-testid="eval-images">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th class={c.num ? 'num sortable' : 'sortable'} onClick={() => by(c.key)} data-testid={`eval-sort-${c.key}`} aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                  {t(c.label)} {sort.key === c.key ? (sort.descending ? '▼' : '▲') : ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, SHOWN_ROWS).map((im) => (
              <tr class={im.predicted === im.truth ? '' : 'wrong'} data-testid="eval-row" data-loss={im.loss}>
                <td>
                  <code>{im.path}</code>
                </td>
                <td>{e.labels[im.truth]}</td>
                <td>{e.labels[im.predicted]}</td>
                <td class="num">{percent(im.probability)}</td>
                <td class="num">{im.loss.toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > SHOWN_ROWS ? <p class="muted">{t('predict.more', { n: rows.length - SHOWN_ROWS })}</p> : null}
    </>
  )
}
