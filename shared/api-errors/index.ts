/*
 * The aggregator's errors that a person can meet on a page, and the protocol's answers a participant must tell
 * apart (`update-already-accepted`), each with a machine-readable code: the English
 * format is the body's `error` text (the command line and tools print it, unchanged), and the web app words
 * the code in the page's language (web/ui/i18n `apiError.<code>`), filling the same `{name}` slots from `params`.
 */
import { fillTemplate, type SlotValues } from '../log-lines/template'

/** The statuses the aggregator answers errors with. */
export type ApiErrorStatus = 400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 422 | 429 | 500 | 503 | 507

/** The English of each code; doubles as the web app's English table. */
export const API_ERROR_FORMATS = {
  'invite-wrong': 'the invite secret is wrong; ask the initiator for a fresh invite link',
  'missing-invite': 'missing invite secret: send Authorization: Bearer <invite secret from the invite link>',
  'name-taken': 'the name "{name}" is taken in this task; pick another name, or rejoin with the token you got',
  'join-task-done': 'task "{name}" is done and takes no new participants; ask the initiator for a new task',
  'join-task-stopped': 'task "{name}" is stopped and takes no new participants; ask the initiator for a new task',
  'task-full': 'task "{name}" is full: max_participants is {max}; ask the initiator to raise it in a new task',
  'unknown-labels': 'labelCounts: the task does not know the labels {unknown} (task labels: {labels}); remove those images or pick the matching task',
  'no-training-images': 'labelCounts: declares no training images; a participant trains, so its folder needs a train split: join with a folder that has training images',
  'not-a-participant': 'participant {participant} is not part of this task; join it first',
  'unknown-participant': 'unknown participant',
  'too-many-joins': 'too many joins: this task admits {perMinute} new participants a minute; try again in {wait} s',
  'task-not-found': 'task {task} does not exist; check the link',
  'task-done': 'task {task} is done; create a new task to train again',
  'storage-full': "the aggregator's storage is full: {what} was not stored and nothing changed; send it again later (the operator must free space)",
  'missing-token': 'missing bearer token: send Authorization: Bearer <token>',
  'initiator-only': 'this action needs the initiator token (printed by the aggregator at start)',
  'participants-only': 'this action is for participants; join the task first',
  'unknown-token': 'unknown token for this task; join again with the invite link',
  'participant-left': 'this participant has left the task; join again to take part',
  'bundle-too-large': 'bundle is over {mb} MB',
  'json-too-large': 'JSON body over {mb} MB',
  'create-json-too-large': 'JSON body over {mb} MB; a bundle zip goes with Content-Type: application/zip',
  'builtin-bundle-unknown': 'bundle: no built-in bundle "{bundle}" (GET /api/bundles lists them)',
  'too-few-labels': 'config.json: id2label must name at least two labels; relabel the bundle for your dataset before creating the task',
  'result-not-ready': 'the result bundle is ready once the task is done (now {state})',
  'no-trained-model': 'no round has finished yet, so there is no trained model',
  'no-such-route': 'no such API route; see edge/API.md',
  'bad-path': 'the address has a malformed %-escape (a % must be followed by two hex digits); check the link',
  'update-already-accepted': 'round {round}: an update from {participant} was already accepted',
} as const

export type ApiErrorCode = keyof typeof API_ERROR_FORMATS

const STATUS: Record<ApiErrorCode, ApiErrorStatus> = {
  'invite-wrong': 403,
  'missing-invite': 401,
  'name-taken': 409,
  'join-task-done': 409,
  'join-task-stopped': 409,
  'task-full': 403,
  'unknown-labels': 422,
  'no-training-images': 422,
  'not-a-participant': 403,
  'unknown-participant': 403,
  'too-many-joins': 429,
  'task-not-found': 404,
  'task-done': 409,
  'storage-full': 507,
  'missing-token': 401,
  'initiator-only': 403,
  'participants-only': 403,
  'unknown-token': 401,
  'participant-left': 403,
  'bundle-too-large': 413,
  'json-too-large': 413,
  'create-json-too-large': 413,
  'builtin-bundle-unknown': 422,
  'too-few-labels': 422,
  'result-not-ready': 409,
  'no-trained-model': 409,
  'no-such-route': 404,
  'bad-path': 400,
  'update-already-accepted': 409,
}

/** Values an error's wording is filled with: flat, strings and numbers only (what the client accepts back). */
export type ApiErrorParams = Record<string, string | number>

/** An error as the aggregator answers it: status, the English `error` text, its code and the values in it. */
export type ApiErrorInfo = { status: ApiErrorStatus; message: string; code: ApiErrorCode; params: ApiErrorParams }

function build<C extends ApiErrorCode>(code: C, params: SlotValues<(typeof API_ERROR_FORMATS)[C]>): ApiErrorInfo {
  const values: ApiErrorParams = params
  return { status: STATUS[code], message: fillTemplate(API_ERROR_FORMATS[code], values), code, params: values }
}

/** One builder per error; each returns exactly the English the aggregator answered before codes existed. */
export const apiErrors = {
  inviteWrong: () => build('invite-wrong', {}),
  missingInvite: () => build('missing-invite', {}),
  nameTaken: (name: string) => build('name-taken', { name }),
  /** A done or stopped task refusing a newcomer. */
  joinFinished: (name: string, state: 'done' | 'stopped') => build(state === 'done' ? 'join-task-done' : 'join-task-stopped', { name }),
  taskFull: (name: string, max: number) => build('task-full', { name, max }),
  unknownLabels: (unknown: readonly string[], labels: readonly string[]) =>
    build('unknown-labels', { unknown: unknown.map((l) => `"${l}"`).join(', '), labels: labels.join(', ') }),
  noTrainingImages: () => build('no-training-images', {}),
  notAParticipant: (participant: string) => build('not-a-participant', { participant }),
  unknownParticipant: () => build('unknown-participant', {}),
  tooManyJoins: (perMinute: number, wait: number) => build('too-many-joins', { perMinute, wait }),
  taskNotFound: (task: string) => build('task-not-found', { task }),
  taskDone: (task: string) => build('task-done', { task }),
  storageFull: (what: string) => build('storage-full', { what }),
  missingToken: () => build('missing-token', {}),
  initiatorOnly: () => build('initiator-only', {}),
  participantsOnly: () => build('participants-only', {}),
  unknownToken: () => build('unknown-token', {}),
  participantLeft: () => build('participant-left', {}),
  bundleTooLarge: (mb: number) => build('bundle-too-large', { mb }),
  jsonTooLarge: (mb: number) => build('json-too-large', { mb }),
  /** `POST /api/tasks` with a JSON body over its limit: most likely a bundle zip sent under another content type. */
  createJsonTooLarge: (mb: number) => build('create-json-too-large', { mb }),
  builtinBundleUnknown: (bundle: string) => build('builtin-bundle-unknown', { bundle }),
  tooFewLabels: () => build('too-few-labels', {}),
  resultNotReady: (state: string) => build('result-not-ready', { state }),
  noTrainedModel: () => build('no-trained-model', {}),
  noSuchRoute: () => build('no-such-route', {}),
  badPath: () => build('bad-path', {}),
  /** An upload sent again once the round holds this participant's update (its first answer was lost, or a reload resent it). */
  updateAlreadyAccepted: (round: number, participant: string) => build('update-already-accepted', { round, participant }),
} as const

/** True for a code this build knows (the client may meet codes of a newer aggregator). */
export function isApiErrorCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(API_ERROR_FORMATS, code)
}
