import type { ClassMetrics as ClassFigures } from '../../shared/wire'
import { percent } from './components'
import { useT } from './i18n'

/**
 * The per-class table (precision, recall, F1, support) and the confusion matrix (rows actual, columns predicted).
 * `testIdPrefix` goes before the tables' test ids (`per-class`, `confusion`); `markMistakes` colours the non-zero
 * off-diagonal cells.
 */
export function ClassMetrics(props: { classes: ClassFigures[]; labels: string[]; confusion: number[][]; testIdPrefix?: string; markMistakes?: boolean }) {
  const t = useT()
  const prefix = props.testIdPrefix ?? ''
  return (
    <>
      <h2>{t('results.perclass')}</h2>
      <div class="table-wrap">
        <table data-testid={`${prefix}per-class`}>
          <thead>
            <tr>
              <th>{t('common.label')}</th>
              <th class="num">{t('results.precision')}</th>
              <th class="num">{t('results.recall')}</th>
              <th class="num">F1</th>
              <th class="num">{t('results.support')}</th>
            </tr>
          </thead>
          <tbody>
            {props.classes.map((c) => (
              <tr>
                <td>{c.label}</td>
                <td class="num">{percent(c.precision)}</td>
                <td class="num">{percent(c.recall)}</td>
                <td class="num">{percent(c.f1)}</td>
                <td class="num">{c.support}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{t('results.confusion')}</h2>
      <div class="table-wrap">
        <table class="matrix" data-testid={`${prefix}confusion`}>
          <thead>
            <tr>
              <th />
              {props.labels.map((l) => (
                <th class="num">{l}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.confusion.map((row, i) => (
              <tr>
                <th>{props.labels[i]}</th>
                {row.map((n, j) => (
                  <td class={i === j ? 'diag' : props.markMistakes && n > 0 ? 'off' : ''}>{n}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}
