import type { Child } from 'hono/jsx'
import type { Dataset } from '../../shared/dataset'
import { minImagesForValidation, SPLITS } from '../../shared/dataset'
import { Problems } from './components'
import { useT } from './i18n'
import { SkippedFiles } from './skipped-files'

/** Counts per split and label (labels the task does not know marked), how validation was made, skipped files and warnings. */
export function DatasetSummary(props: { dataset: Dataset; folder: string; unknown?: string[]; children?: Child }) {
  const t = useT()
  const d = props.dataset
  const splitName = { train: t('common.train'), validation: t('common.validation'), test: t('common.test') }
  const total = SPLITS.reduce((n, s) => n + d.splits[s].length, 0)
  return (
    <div class="card" data-testid="dataset-summary">
      <h2>
        {t('dataset.summary')}: {props.folder}
      </h2>
      <p class="muted">
        {t('dataset.layout', { layout: d.layout })} · {t('dataset.images', { count: total })}
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t('common.label')}</th>
              {SPLITS.map((s) => (
                <th class="num">{splitName[s]}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {d.labels.map((label) => (
              <tr class={props.unknown?.includes(label) ? 'unknown-label' : ''} data-unknown={props.unknown?.includes(label) ? 'true' : undefined}>
                <td>{label}</td>
                {SPLITS.map((s) => (
                  <td class="num">{d.counts[s][label] ?? 0}</td>
                ))}
              </tr>
            ))}
            <tr>
              <th>{t('common.total')}</th>
              {SPLITS.map((s) => (
                <th class="num" data-testid={`count-${s}`}>
                  {d.splits[s].length}
                </th>
              ))}
            </tr>
          </tbody>
        </table>
      </div>
      {/* A folder without training images (one only evaluated) has nothing to draw a validation split from. */}
      {d.validationFromTrain && d.splits.train.length + d.splits.validation.length > 0 ? (
        <p class="muted" data-testid="split-note">
          {d.splits.validation.length > 0 || !d.validationSplit
            ? t(d.splits.validation.length === 1 ? 'dataset.splitNoteOne' : 'dataset.splitNote', { count: d.splits.validation.length })
            : t('dataset.splitNone', { percent: Math.round(d.validationSplit.fraction * 100), min: minImagesForValidation(d.validationSplit.fraction) })}
          {d.validationSplit?.groupedBy ? ` ${t('dataset.splitGrouped', { column: d.validationSplit.groupedBy })}` : ''}
        </p>
      ) : null}
      <SkippedFiles skipped={d.skipped} />
      <Problems problems={d.warnings} testId="warnings" kind="notice" />
      {props.children}
    </div>
  )
}
