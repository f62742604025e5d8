import type { TaskView } from '../../shared/wire'
import { useT } from './i18n'

/** ε as the pages show it: three decimals, enough to see a round's spending. */
const eps = (x: number) => x.toFixed(3)

/** A differentially private task's line: the mode, ε spent of the target at δ, the trust it needs; nothing for a task without DP. */
export function PrivacyNote(props: { task: TaskView }) {
  const t = useT()
  const p = props.task.privacy
  if (!p) return null
  const mode = t(p.mode === 'central' ? 'privacy.central' : 'privacy.distributed')
  const line =
    p.targetEpsilon === null
      ? t('privacy.lineNoTarget', { mode, spent: eps(p.epsilon), delta: String(p.delta) })
      : t('privacy.line', { mode, spent: eps(p.epsilon), target: String(p.targetEpsilon), delta: String(p.delta) })
  return (
    <div class="notice" data-testid="privacy" data-epsilon={p.epsilon}>
      <strong>{line}</strong>
      <br />
      <span class="muted">
        {t('privacy.params', { clip: String(p.clipNorm), z: String(p.noiseMultiplier), rounds: String(p.rounds) })}{' '}
        {t(p.mode === 'central' ? 'privacy.trustCentral' : 'privacy.trustDistributed')}
      </span>
      {p.budgetSpent && p.targetEpsilon !== null ? (
        <p data-testid="privacy-budget-spent">{t('privacy.budgetSpent', { target: String(p.targetEpsilon) })}</p>
      ) : null}
    </div>
  )
}

/** ε after each round of a private task, as a table; nothing for a task without DP. */
export function PrivacyRounds(props: { task: TaskView }) {
  const t = useT()
  if (!props.task.privacy) return null
  const rows = props.task.history.filter((h) => h.epsilon !== undefined)
  return (
    <>
      <h2>{t('privacy.perRound')}</h2>
      <table data-testid="privacy-rounds">
        <thead>
          <tr>
            <th class="num">{t('privacy.round')}</th>
            <th class="num">{t('privacy.epsilon')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((h) => (
            <tr>
              <td class="num">{h.round}</td>
              <td class="num">{eps(h.epsilon as number)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

/** Whether the task uses secure aggregation: on (with its neighbours, threshold and bound, and the trust it needs) or off. */
export function SecureAggregationNote(props: { task: TaskView }) {
  const t = useT()
  const params = props.task.params
  const sa = params.secure_aggregation
  if (!sa) return <p class="muted" data-testid="secagg" data-on="false">{t('secagg.off')}</p>
  const clip = params.differential_privacy?.clip_norm ?? params.max_update_norm
  return (
    <div class="notice" data-testid="secagg" data-on="true">
      <strong>{t('secagg.on')}</strong>
      <br />
      <span class="muted">
        {t('secagg.params', {
          degree: sa.degree === undefined ? t('secagg.degreeDefault') : String(sa.degree),
          threshold: sa.threshold === undefined ? t('secagg.thresholdDefault') : String(sa.threshold),
          clip: String(clip),
        })}
      </span>
    </div>
  )
}
