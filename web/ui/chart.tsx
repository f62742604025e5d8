import { useEffect, useRef } from 'hono/jsx/dom'
import uPlot from 'uplot'
import { roundRange, roundTicks } from './chart-range'

/** One line of a chart: name, colour, and one value per x (null where missing). */
export type Series = { label: string; color: string; values: Array<number | null> }

/** A uPlot line chart over rounds, sized to its container (360 px phones to desktops). */
export function RoundChart(props: { rounds: number[]; series: Series[]; xLabel: string; testId?: string }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  // The rounds drawn, read by the x range when uPlot rescales after setData.
  const rounds = useRef<number[]>(props.rounds)
  rounds.current = props.rounds
  const data = () => [props.rounds, ...props.series.map((s) => s.values)] as uPlot.AlignedData
  const showLatest = (u: uPlot) => {
    const last = rounds.current.length - 1
    if (last >= 0) u.setLegend({ idx: last }, false)
  }
  // Made again only when the lines themselves change (labels, colours, axis): a new point is drawn with
  // setData, as made anew the chart cost tens of milliseconds of the page's main thread on every epoch
  // and validation, which a participant's next upload or download then waited for.
  const shape = JSON.stringify([props.xLabel, props.series.map((s) => [s.label, s.color])])
  // The data uPlot holds: a chart just made from this render's data needs no setData as well.
  const values = JSON.stringify([props.rounds, props.series.map((s) => s.values)])
  const drawn = useRef<string | null>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const width = Math.max(280, el.clientWidth)
    plot.current?.destroy()
    plot.current = new uPlot(
      {
        width,
        height: 220,
        // Rounds are whole numbers: integer ticks only, on an axis bounded by the rounds there are.
        // uPlot widens a single x value to ±1 before it calls range, so the range comes from the rounds themselves.
        scales: { x: { time: false, range: (_u, min, max) => (rounds.current.length > 0 ? roundRange(rounds.current[0], rounds.current[rounds.current.length - 1]) : [min, max]) } },
        axes: [{ label: props.xLabel, splits: (_u, _axis, min, max) => roundTicks(min, max) }, {}],
        // Away from the cursor the legend shows the latest round's values rather than "--".
        hooks: { setLegend: [(u) => void (u.legend.idx == null && showLatest(u))] },
        series: [{ label: props.xLabel }, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: true } }))],
      },
      data(),
      el,
    )
    drawn.current = values
    showLatest(plot.current)
    return () => {
      plot.current?.destroy()
      plot.current = null
    }
  }, [shape])
  useEffect(() => {
    const u = plot.current
    if (!u || drawn.current === values) return
    u.setData(data())
    drawn.current = values
    showLatest(u)
  }, [values])
  return <div class="chart" ref={box} data-testid={props.testId} />
}
