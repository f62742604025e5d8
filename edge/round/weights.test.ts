import { describe, expect, it } from 'vitest'
import { encodeWeights } from '../../shared/wire'
import { baseOf } from './weights'
import { weightsKey, type EngineDeps, type Runtime } from './runtime'

describe('baseOf', () => {
  it('reads and decodes the base version once however many uploads ask at the same time', async () => {
    const spec = [{ name: 'w', shape: [4] }]
    const encoded = encodeWeights({ taskId: 't', version: 3, tensors: [{ shape: [4], data: Float32Array.from([3, 0, 4, 0]) }] })
    const reads: string[] = []
    const store = {
      async get(_task: string, key: string) {
        reads.push(key)
        await new Promise((r) => setTimeout(r, 5))
        return key === weightsKey(3) ? encoded : null
      },
    }
    // Only the fields baseOf reads: the store, and the record's id, version, spec and size.
    const deps = { store } as unknown as EngineDeps
    const rt = { rec: { id: 't', version: 3, spec, numParams: 4 }, base: null } as unknown as Runtime
    const bases = await Promise.all(Array.from({ length: 32 }, () => baseOf(deps, rt)))
    expect(reads).toEqual([weightsKey(3)])
    expect(new Set(bases).size).toBe(1)
    expect(Array.from(bases[0].values)).toEqual([3, 0, 4, 0])
    expect(bases[0].norm).toBe(5)
    // A later version is read anew (missing here: a 500 naming it).
    ;(rt.rec as { version: number }).version = 4
    await expect(baseOf(deps, rt)).rejects.toThrow('stored weights of version 4 are missing or damaged')
    expect(reads).toEqual([weightsKey(3), weightsKey(4)])
  })
})
