import { describe, expect, it } from 'vitest'
import { parseTaskParams } from '../../shared/wire'
import { createMemoryStore } from '../store'
import { createManualClock, RoundEngine } from '.'

const MEL = 'M\u00e9lanome'
const BENIGN = '\uc591\uc131'
const weights = [{ name: 'w', shape: [2], data: new Float32Array(2) }]

describe('join: label counts', () => {
  it('counts a label written in another Unicode form (a folder named on macOS) under the task\'s spelling, adding up both forms', async () => {
    const engine = new RoundEngine({ store: createMemoryStore(), clock: createManualClock(), publish: () => {} })
    const params = parseTaskParams({})
    if (!params.ok) throw new Error('bad params')
    const { task, invite } = await engine.createTask({ name: 't', bundle: { name: 'tiny', displayName: 'Tiny' }, labels: [MEL, BENIGN], params: params.value, weights, bundleZip: new Uint8Array([1]) })
    const labelCounts = {
      [MEL.normalize('NFD')]: { train: 3, validation: 1, test: 0 },
      [MEL]: { train: 2, validation: 0, test: 1 },
      [BENIGN.normalize('NFD')]: { train: 4, validation: 0, test: 0 },
    }
    expect(Object.keys(labelCounts)).toHaveLength(3)
    await engine.join(task.id, { invite, name: 'mac', labelCounts })
    const [p] = (await engine.view(task.id)).participants
    expect(p.labelCounts).toEqual({ [MEL]: { train: 5, validation: 1, test: 1 }, [BENIGN]: { train: 4, validation: 0, test: 0 } })
    expect(p.examples).toBe(9)
    // Another text is still refused, named as sent.
    await expect(engine.join(task.id, { invite, name: 'other', labelCounts: { Melanome: { train: 1, validation: 0, test: 0 } } })).rejects.toMatchObject({
      status: 422,
      coded: { code: 'unknown-labels' },
    })
  })
})
