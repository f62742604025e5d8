import { useEffect, useRef } from 'hono/jsx/dom'
import uPlot from 'uplot'
import { roundRange, roundTicks } from './chart-range'

/** One line of a chart: name, colour, and one value per x (null where missing). */
export type Series = { label: string; color: string; values: Array<number | null> }

/** A uPlot line chart over rounds, sized to its container (360 px phones to desktops). */
export function RoundChart(props: { rounds: number[]; series: Series[]; xLabel: string; testId?: string }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const width = Math.max(280, el.clientWidth)
    const last = props.rounds.length - 1
    plot.current?.destroy()
    plot.current = new uPlot(
      {
        width,
        height: 220,
        // Rounds are whole numbers: integer ticks only, on an axis bounded by the rounds there are.
        // uPlot widens a single x value to ±1 before it calls range, so the range comes from the rounds themselves.
        scales: { x: { time: false, range: (_u, min, max) => (last >= 0 ? roundRange(props.rounds[0], props.rounds[last]) : [min, max]) } },
        axes: [{ label: props.xLabel, splits: (_u, _axis, min, max) => roundTicks(min, max) }, {}],
        // Away from the cursor the legend shows the latest round's values rather than "--".
        hooks: { setLegend: [(u) => void (u.legend.idx == null && last >= 0 && u.setLegend({ idx: last }, false))] },
        series: [{ label: props.xLabel }, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: true } }))],
      },
      [props.rounds, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    )
    if (last >= 0) plot.current.setLegend({ idx: last }, false)
    return () => {
      plot.current?.destroy()
      plot.current = null
    }
  }, [JSON.stringify(props.rounds), JSON.stringify(props.series), props.xLabel])
  return <div class="chart" ref={box} data-testid={props.testId} />
}
