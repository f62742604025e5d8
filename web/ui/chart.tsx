import { useEffect, useRef } from 'hono/jsx/dom'
import uPlot from 'uplot'

/** One line of a chart: name, colour, and one value per x (null where missing). */
export type Series = { label: string; color: string; values: Array<number | null> }

/** A uPlot line chart over rounds, sized to its container (360 px phones to desktops). */
export function RoundChart(props: { rounds: number[]; series: Series[]; testId?: string }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const width = Math.max(280, el.clientWidth)
    plot.current?.destroy()
    plot.current = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: false } },
        axes: [{ label: 'round' }, {}],
        series: [{ label: 'round' }, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: true } }))],
      },
      [props.rounds, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    )
    return () => {
      plot.current?.destroy()
      plot.current = null
    }
  }, [JSON.stringify(props.rounds), JSON.stringify(props.series)])
  return <div class="chart" ref={box} data-testid={props.testId} />
}
