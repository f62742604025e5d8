import { describe, expect, it } from 'vitest'
import { currentOf, labelsOfFiles, mergeLocalRounds, sortLibrary, taskEntry } from '.'
import type { LibraryEntry } from '.'

describe('mergeLocalRounds', () => {
  it('keeps rounds from before a reload, lets the session win for a round both have, and sorts by round', () => {
    const kept = [
      { round: 1, trainLoss: 2, trainAccuracy: 0.1 },
      { round: 2, trainLoss: 1.5, trainAccuracy: 0.3 },
    ]
    const live = [{ round: 3, trainLoss: 1, trainAccuracy: 0.5 }, { round: 2, trainLoss: 1.4, trainAccuracy: 0.35, validationAccuracy: 0.3 }]
    expect(mergeLocalRounds(kept, live)).toEqual([
      { round: 1, trainLoss: 2, trainAccuracy: 0.1 },
      { round: 2, trainLoss: 1.4, trainAccuracy: 0.35, validationAccuracy: 0.3 },
      { round: 3, trainLoss: 1, trainAccuracy: 0.5 },
    ])
  })
})

describe('the model library', () => {
  const enc = (s: string) => new TextEncoder().encode(s)
  const entry = (id: string, savedAt: number, name = id): LibraryEntry => ({ id, name, source: 'file', accuracy: null, labels: [], savedAt })

  it('lists the newest model first, equal dates by name', () => {
    expect(sortLibrary([entry('a', 1), entry('c', 3), entry('b2', 2, 'y'), entry('b1', 2, 'x')]).map((e) => e.id)).toEqual(['c', 'b1', 'b2', 'a'])
  })
  it('uses the chosen model while it exists, else the first (newest) one', () => {
    const list = [entry('new', 2), entry('old', 1)]
    expect(currentOf(list, 'old')?.id).toBe('old')
    expect(currentOf(list, 'deleted')?.id).toBe('new')
    expect(currentOf([], 'old')).toBeUndefined()
  })
  it('keeps one entry per task, with the labels of its config.json in output order', () => {
    const files = new Map([['config.json', enc(JSON.stringify({ entry_module: 'm', entry_class: 'C', param_file: 'model.safetensors', id2label: { '1': 'dog', '0': 'cat' } }))]])
    expect(taskEntry({ taskId: 't1', taskName: 'Pets', version: 3, accuracy: 0.75, files, savedAt: 9 })).toEqual({
      id: 'task:t1',
      name: 'Pets',
      source: 'task',
      taskId: 't1',
      taskName: 'Pets',
      version: 3,
      accuracy: 0.75,
      labels: ['cat', 'dog'],
      savedAt: 9,
    })
    expect(labelsOfFiles(new Map([['config.json', enc('{ broken')]]))).toEqual([])
  })
})
