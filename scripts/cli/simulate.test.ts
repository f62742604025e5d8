import { describe, expect, it } from 'vitest'
import { prepareSimulation } from '../simulate'
import { parseSimulateArgs } from './simulate'

describe('autofed simulate', () => {
  it('refuses as --param a setting that has its own flag, which the simulator reads too', () => {
    expect(() => parseSimulateArgs(['--param', 'merge_epochs=3'])).toThrow('--param merge_epochs: use --epochs instead (the simulator reads it too, for its header, its progress and the centralized run)')
    expect(() => parseSimulateArgs(['--param', 'learning_rate=0.1'])).toThrow('--param learning_rate: use --lr instead')
    expect(parseSimulateArgs(['--param', 'min_participants=5', '--param', 'server_optimizer=fedadam']).params).toEqual({ min_participants: 5, server_optimizer: 'fedadam' })
  })

  it('a --model that is not an MNIST bundle says what --model takes', async () => {
    const o = parseSimulateArgs(['--model', 'mobilenet-v2'])
    await expect(prepareSimulation(o)).rejects.toThrow(
      `mobilenet-v2: config.json id2label must be the ten digits 0 … 9 for MNIST, got none; --model takes an MNIST bundle of ${o.bundlesDir}: mnist-2nn or mnist-cnn`,
    )
  })
})

