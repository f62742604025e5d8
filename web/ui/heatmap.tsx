import { useEffect, useRef } from 'hono/jsx/dom'
import type { Explanation } from '../evaluate'

/** Draws a Grad-CAM overlay (model-input sized pixels) scaled up to `size` CSS pixels, kept sharp. */
export function HeatmapCanvas(props: { e: Explanation; size: number; testId?: string }) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const canvas = ref.current
    const ctx = canvas?.getContext('2d')
    if (!canvas || !ctx) return
    canvas.width = props.e.width
    canvas.height = props.e.height
    ctx.putImageData(new ImageData(new Uint8ClampedArray(props.e.pixels), props.e.width, props.e.height), 0, 0)
  }, [props.e])
  return <canvas ref={ref} class="heatmap" style={`width:${props.size}px;height:${props.size}px`} data-testid={props.testId} data-layer={props.e.layer} data-class={props.e.classIndex} />
}
