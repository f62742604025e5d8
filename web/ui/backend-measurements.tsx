import type { ComputeInfo } from '../backend'
import { backendErrorText, computeReason, stopReasonText } from './backend-reason'
import { useT } from './i18n'

/** Why this browser trains on its backend, and what each backend measured (the chosen one marked). */
export function BackendMeasurements(props: { compute: ComputeInfo }) {
  const t = useT()
  const c = props.compute
  return (
    <>
      <p class="muted" data-testid="backend-reason">
        {t('backend.why', { reason: computeReason(c, t) })}
      </p>
      {c.measurements.length > 0 ? (
        <div class="table-wrap">
          <table data-testid="backend-measurements">
            <caption>{t('backend.measured')}</caption>
            <tbody>
              {c.measurements.map((m) => (
                <tr class={m.backend === c.backend ? 'chosen' : ''} data-backend={m.backend}>
                  <td class="nowrap">{m.backend}</td>
                  <td class="num">
                    {m.error !== undefined
                      ? t('backend.failed', { error: backendErrorText(m.error, t) })
                      : m.stopped !== undefined
                        ? t('backend.ipsBound', { value: m.imagesPerSecond.toFixed(1), why: stopReasonText(m, t) })
                        : t('backend.ips', { value: m.imagesPerSecond.toFixed(1) })}
                  </td>
                  <td class="nowrap">{m.backend === c.backend ? t('backend.chosen') : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  )
}
