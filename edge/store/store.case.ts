import { describe, expect, it } from 'vitest'
import { openWrite, type Store } from '.'

/** The behaviour every Store backend must have; each backend's test calls this with a fresh-store factory. */
export function storeCases(name: string, fresh: () => Promise<{ store: Store; reopen?: () => Promise<Store> }>): void {
  describe(`Store: ${name}`, () => {
    it('puts, gets, overwrites and deletes values', async () => {
      const { store } = await fresh()
      expect(await store.get('t1', 'task.json')).toBeNull()
      await store.put('t1', 'task.json', new Uint8Array([1, 2, 3]))
      expect([...((await store.get('t1', 'task.json')) as Uint8Array)]).toEqual([1, 2, 3])
      await store.put('t1', 'task.json', [new Uint8Array([9]), new Uint8Array([8, 7])])
      expect([...((await store.get('t1', 'task.json')) as Uint8Array)]).toEqual([9, 8, 7])
      await store.delete('t1', 'task.json')
      await store.delete('t1', 'task.json')
      expect(await store.get('t1', 'task.json')).toBeNull()
    })

    it('lists keys by prefix and tasks, and deletes a whole task', async () => {
      const { store } = await fresh()
      await store.put('a', 'weights/2', new Uint8Array([2]))
      await store.put('a', 'weights/10', new Uint8Array([10]))
      await store.put('a', 'task.json', new Uint8Array([0]))
      await store.put('b', 'task.json', new Uint8Array([0]))
      expect(await store.keys('a', 'weights/')).toEqual(['weights/10', 'weights/2'])
      expect(await store.keys('a')).toEqual(['task.json', 'weights/10', 'weights/2'])
      // A prefix lists what starts with it, in its folder and below, whatever the folder holds besides.
      await store.put('a', 'secagg/3-1/m/p1', new Uint8Array([1]))
      await store.put('a', 'secagg/3-2/p2', new Uint8Array([1]))
      expect(await store.keys('a', 'weights/1')).toEqual(['weights/10'])
      expect(await store.keys('a', 'weight')).toEqual(['weights/10', 'weights/2'])
      expect(await store.keys('a', 'secagg/')).toEqual(['secagg/3-1/m/p1', 'secagg/3-2/p2'])
      expect(await store.keys('a', 'secagg/3-1/')).toEqual(['secagg/3-1/m/p1'])
      expect(await store.keys('a', 'secagg/3-')).toEqual(['secagg/3-1/m/p1', 'secagg/3-2/p2'])
      expect(await store.keys('a', 'updates/')).toEqual([])
      expect(await store.keys('a', 'task.json/')).toEqual([])
      expect(await store.keys('nobody', 'weights/')).toEqual([])
      await store.delete('a', 'secagg/3-1/m/p1')
      await store.delete('a', 'secagg/3-2/p2')
      expect(await store.tasks()).toEqual(['a', 'b'])
      await store.deleteTask('a')
      expect(await store.tasks()).toEqual(['b'])
      expect(await store.get('a', 'weights/2')).toBeNull()
    })

    it('keeps its own copy of a value', async () => {
      const { store } = await fresh()
      const buf = new Uint8Array([1, 2])
      await store.put('t', 'acc', buf)
      buf[0] = 99
      expect([...((await store.get('t', 'acc')) as Uint8Array)]).toEqual([1, 2])
    })

    it('writes a value chunk by chunk, visible only on commit; an aborted write leaves nothing', async () => {
      const { store } = await fresh()
      const w = await openWrite(store, 't', 'updates/p1')
      w.write(new Uint8Array([1, 2]))
      w.write(new Uint8Array([3]))
      expect(await store.get('t', 'updates/p1')).toBeNull()
      await w.commit()
      expect([...((await store.get('t', 'updates/p1')) as Uint8Array)]).toEqual([1, 2, 3])
      const a = await openWrite(store, 't', 'updates/p2')
      a.write(new Uint8Array([9]))
      await a.abort()
      expect(await store.get('t', 'updates/p2')).toBeNull()
      expect(await store.keys('t')).toEqual(['updates/p1'])
    })

    it('writes a value of several MiB in uneven chunks, and puts one, byte for byte', async () => {
      const { store } = await fresh()
      const big = new Uint8Array(2_500_003)
      for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 11)) & 0xff
      const w = await openWrite(store, 't', 'updates/big')
      for (let p = 0; p < big.length; p += 65_531) w.write(big.slice(p, p + 65_531))
      await w.commit()
      expect((await store.get('t', 'updates/big'))?.every((b, i) => b === big[i])).toBe(true)
      expect((await store.get('t', 'updates/big'))?.length).toBe(big.length)
      await store.put('t', 'weights/1', [big.subarray(0, 100_000), big.subarray(100_000)])
      const back = await store.get('t', 'weights/1')
      expect([back?.length, back?.every((b, i) => b === big[i])]).toEqual([big.length, true])
    })

    it('refuses keys that could escape the store', async () => {
      const { store } = await fresh()
      await expect(store.put('t', '../x', new Uint8Array())).rejects.toThrow(/invalid store key/)
      await expect(store.put('../t', 'x', new Uint8Array())).rejects.toThrow(/invalid task id/)
      await expect(store.get('t', 'a//b')).rejects.toThrow(/invalid store key/)
    })

    it('appends to a value (creating it), readable as one value, across a reopen', async () => {
      const { store, reopen } = await fresh()
      if (!store.append) return
      await store.append('t', 'logs/0', new Uint8Array([1, 2]))
      await store.append('t', 'logs/0', new Uint8Array([3]))
      await store.append('t', 'logs/0', new Uint8Array(2_000_000).fill(7))
      const got = (await store.get('t', 'logs/0')) as Uint8Array
      expect([got.length, got[0], got[2], got[3], got[2_000_002]]).toEqual([2_000_003, 1, 3, 7, 7])
      await store.append('t', 'logs/0', new Uint8Array([9]))
      const again = reopen ? await reopen() : store
      const back = (await again.get('t', 'logs/0')) as Uint8Array
      expect([back.length, back[2_000_003]]).toEqual([2_000_004, 9])
      expect(await again.keys('t')).toEqual(['logs/0'])
    })

    it('keeps values across a reopen (persistent backends)', async () => {
      const { store, reopen } = await fresh()
      if (!reopen) return
      const big = new Uint8Array(3_000_000).map((_, i) => i & 255)
      await store.put('t', 'acc', big)
      const again = await reopen()
      const got = (await again.get('t', 'acc')) as Uint8Array
      expect(got.length).toBe(big.length)
      expect(got[2_999_999]).toBe(2_999_999 & 255)
      expect(await again.keys('t')).toEqual(['acc'])
    })
  })
}
