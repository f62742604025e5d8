import { describe, expect, it } from 'vitest'
import { API_ERROR_FORMATS, apiErrors, isApiErrorCode, type ApiErrorCode } from '.'
import { API_ERROR_EXAMPLES } from './examples'

/** The status and English each route answered before codes existed (edge/round, edge/routes, edge/app.ts), for the values of examples.ts. */
const BEFORE: Record<ApiErrorCode, [number, string]> = {
  'invite-wrong': [403, 'the invite secret is wrong; ask the initiator for a fresh invite link'],
  'missing-invite': [401, 'missing invite secret: send Authorization: Bearer <invite secret from the invite link>'],
  'name-taken': [409, 'the name "lab 1" is taken in this task; pick another name, or rejoin with the token you got'],
  'join-task-done': [409, 'task "Chest X-ray" is done and takes no new participants; ask the initiator for a new task'],
  'join-task-stopped': [409, 'task "Chest X-ray" is stopped and takes no new participants; ask the initiator for a new task'],
  'task-full': [403, 'task "Chest X-ray" is full: max_participants is 3; ask the initiator to raise it in a new task'],
  'unknown-labels': [422, 'labelCounts: the task does not know the labels "bird", "fish" (task labels: cat, dog); remove those images or pick the matching task'],
  'no-training-images': [422, 'labelCounts: declares no training images; a participant trains, so its folder needs a train split: join with a folder that has training images'],
  'not-a-participant': [403, 'participant pab12c is not part of this task; join it first'],
  'unknown-participant': [403, 'unknown participant'],
  'too-many-joins': [429, 'too many joins: this task admits 60 new participants a minute; try again in 12 s'],
  'task-not-found': [404, 'task t9 does not exist; check the link'],
  'task-done': [409, 'task t9 is done; create a new task to train again'],
  'storage-full': [507, "the aggregator's storage is full: the update of p1 was not stored and nothing changed; send it again later (the operator must free space)"],
  'missing-token': [401, 'missing bearer token: send Authorization: Bearer <token>'],
  'initiator-only': [403, 'this action needs the initiator token (printed by the aggregator at start)'],
  'participants-only': [403, 'this action is for participants; join the task first'],
  'unknown-token': [401, 'unknown token for this task; join again with the invite link'],
  'participant-left': [403, 'this participant has left the task; join again to take part'],
  'bundle-too-large': [413, 'bundle is over 512 MB'],
  'create-json-too-large': [413, 'JSON body over 1 MB; a bundle zip goes with Content-Type: application/zip'],
  'json-too-large': [413, 'JSON body over 16 MB'],
  'builtin-bundle-unknown': [422, 'bundle: no built-in bundle "mnist" (GET /api/bundles lists them)'],
  'too-few-labels': [422, 'config.json: id2label must name at least two labels; relabel the bundle for your dataset before creating the task'],
  'result-not-ready': [409, 'the result bundle is ready once the task is done (now running)'],
  'no-trained-model': [409, 'no round has finished yet, so there is no trained model'],
  'no-such-route': [404, 'no such API route; see edge/API.md'],
  'bad-path': [400, 'the address has a malformed %-escape (a % must be followed by two hex digits); check the link'],
  'update-already-accepted': [409, 'round 3: an update from pab12c was already accepted'],
}

describe('api errors', () => {
  it('words every error exactly as the aggregator did before codes, with the same status', () => {
    for (const e of API_ERROR_EXAMPLES) expect([e.code, e.status, e.message]).toEqual([e.code, ...BEFORE[e.code]])
  })

  it('has an example of every code, each filling every value its English names', () => {
    expect(API_ERROR_EXAMPLES.map((e) => e.code).sort()).toEqual(Object.keys(API_ERROR_FORMATS).sort())
    for (const e of API_ERROR_EXAMPLES) expect(e.message).not.toMatch(/\{\w+\}/)
    expect(apiErrors.taskFull('t', 3).params).toEqual({ name: 't', max: 3 })
  })

  it('keeps a value that looks like a slot as written, never filling it again', () => {
    expect(apiErrors.nameTaken('{task}').message).toBe('the name "{task}" is taken in this task; pick another name, or rejoin with the token you got')
  })

  it('knows its own codes only', () => {
    expect([isApiErrorCode('task-full'), isApiErrorCode('constructor'), isApiErrorCode('__proto__'), isApiErrorCode('nope')]).toEqual([true, false, false, false])
  })
})
