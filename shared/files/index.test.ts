import { describe, expect, it } from 'vitest'
import { fromMap, readAll, safeRelativePath } from '.'

describe('safeRelativePath', () => {
  it('normalises separators and dots', () => {
    expect(safeRelativePath('./a\\b/./c.png')).toBe('a/b/c.png')
  })
  it('rejects paths that climb out or are absolute', () => {
    expect(safeRelativePath('../secret')).toBeNull()
    expect(safeRelativePath('a/../../b')).toBeNull()
    expect(safeRelativePath('/etc/passwd')).toBeNull()
    expect(safeRelativePath('C:\\x')).toBeNull()
    expect(safeRelativePath('')).toBeNull()
  })
})

describe('fromMap', () => {
  it('lists and reads files with sizes', async () => {
    const src = fromMap({ 'a.txt': 'hi', 'b/c.bin': new Uint8Array([1, 2, 3]) })
    expect(await src.list()).toEqual([
      { path: 'a.txt', size: 2 },
      { path: 'b/c.bin', size: 3 },
    ])
    expect([...(await src.read('b/c.bin'))]).toEqual([1, 2, 3])
    await expect(src.read('nope')).rejects.toThrow('nope: no such file')
    expect((await readAll(src)).size).toBe(2)
  })
  it('refuses a path escaping the folder', () => {
    expect(() => fromMap({ '../x': 'y' })).toThrow('../x: path escapes the folder')
  })
})
