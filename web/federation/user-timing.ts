import type { CheckpointStore, FederationApi } from '../../shared/participant'

/**
 * A User Timing entry (`autofed <what>`) from `start` to now: the Performance panel of the browser's developer
 * tools shows where a round's time goes, and bench/round-overhead-browser.ts reads them.
 */
export function timed(what: string, start: number, detail: { round: number; epoch?: number }): void {
  performance.measure(`autofed ${what}`, { start, end: performance.now(), detail })
}

/** Times `call` as `autofed <what>`, also when it fails (a failed upload is part of the round's time too). */
async function timing<T>(what: string, round: number, call: () => Promise<T>): Promise<T> {
  const start = performance.now()
  try {
    return await call()
  } finally {
    timed(what, start, { round })
  }
}

/**
 * The participant protocol's round steps beside the epochs: the upload, the download of a version, the
 * validation report and each checkpoint write, timed as User Timing entries. The calls themselves are unchanged.
 */
export function timedApi<A extends FederationApi>(api: A): A {
  return {
    ...api,
    upload: (auth, round, weights, examples) => timing('upload', round, () => api.upload(auth, round, weights, examples)),
    weights: (auth, version, spec) => timing('download', typeof version === 'number' ? version : -1, () => api.weights(auth, version, spec)),
    validation: (auth, round, report) => timing('validation report', round, () => api.validation(auth, round, report)),
  }
}

/** `store` with each save timed as `autofed checkpoint` (its round: the one training, else the one uploaded). */
export function timedCheckpoints(store: CheckpointStore): CheckpointStore {
  return {
    load: (taskId) => store.load(taskId),
    save: (cp) => timing('checkpoint', cp.training?.round ?? cp.uploadedRound, () => store.save(cp)),
  }
}
