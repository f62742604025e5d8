/**
 * RGBA pixels of a Grad-CAM overlay: the model's own input (min-max scaled to gray, so it is what the
 * model saw after resizing and cropping) with the heatmap on top in a blue → red colour ramp, more
 * opaque where the map is stronger. `input` is height × width × channels, row-major.
 */
export function overlayPixels(input: Float32Array, channels: number, heat: Float32Array, width: number, height: number): Uint8ClampedArray {
  let lo = Infinity
  let hi = -Infinity
  for (const v of input) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  const range = hi > lo ? hi - lo : 1
  const out = new Uint8ClampedArray(width * height * 4)
  for (let i = 0; i < width * height; i++) {
    let sum = 0
    for (let c = 0; c < channels; c++) sum += input[i * channels + c]
    const gray = ((sum / channels - lo) / range) * 255
    const h = Math.min(1, Math.max(0, heat[i]))
    const [r, g, b] = ramp(h)
    // Up to 60% heat over the image: the digit or object stays visible under the strongest spots.
    const a = 0.6 * h
    out[i * 4] = gray * (1 - a) + r * a
    out[i * 4 + 1] = gray * (1 - a) + g * a
    out[i * 4 + 2] = gray * (1 - a) + b * a
    out[i * 4 + 3] = 255
  }
  return out
}

/** Blue (0) → cyan → yellow → red (1), the usual heatmap ramp. */
export function ramp(x: number): [number, number, number] {
  const stops: Array<[number, number, number]> = [
    [0, 0, 255],
    [0, 255, 255],
    [255, 255, 0],
    [255, 0, 0],
  ]
  const at = Math.min(1, Math.max(0, x)) * (stops.length - 1)
  const i = Math.min(stops.length - 2, Math.floor(at))
  const f = at - i
  const [a, b] = [stops[i], stops[i + 1]]
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)]
}
