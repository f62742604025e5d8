import { useEffect } from 'hono/jsx/dom'
import { useLiveState } from '../live-state'
import { CONFIG_FILE, hostingProblems, labelsOf, parseBundle, unzipBundle, withTaskTopology, writeSafetensors, zipBundle } from '../../../shared/bundle'
import type { Bundle } from '../../../shared/bundle'
import { readAll } from '../../../shared/files'
import { ProblemError } from '../../../shared/problems'
import type { Problem } from '../../../shared/problems'
import type { BundleInfo, CreateTaskResponse, TaskParams } from '../../../shared/wire'
import { inviteUrl } from '../../../shared/wire'
import { api } from '../../api'
import { CopyField, ErrorBox, Problems, messageOf } from '../components'
import { FolderPicker } from '../folder-picker'
import { useT } from '../i18n'
import type { StringKey } from '../i18n'
import { fragmentParam } from '../router'
import { LrFinder, withLearningRate } from '../lr-finder'
import { ModelDescription } from '../markdown'
import { saveCreatedTask } from '../../store'
import { ADVANCED_DEFAULTS, advancedParams, paramProblems } from '../advanced-params'
import { AdvancedSection } from '../advanced-section'
import { labelFieldProblems, labelsOfField } from '../label-field'

/** Task parameters (README, Configuration) with their names and defaults (edge/API.md). */
const PARAMS: Array<{ key: keyof TaskParams; value: number | string; step?: string }> = [
  { key: 'max_rounds', value: 20 },
  { key: 'merge_epochs', value: 1 },
  { key: 'calculation_timeout', value: 300 },
  { key: 'schedule_timeout', value: 30 },
  { key: 'log_rounds', value: 0 },
  { key: 'min_participants', value: 1 },
  { key: 'participants_per_round', value: 1, step: 'any' },
  { key: 'patience', value: 10 },
]
const RESULT_PARAM_FILE = 'model.safetensors'

/**
 * The bundle as the task's zip: with labels changed, a new head built in the browser and weights and config
 * rewritten; either way tfjs/model.json carries the model's tfjs topology (no shard), so the aggregator,
 * which has no tfjs, can give the result bundle a `tf.loadLayersModel` export (shared/bundle withTaskTopology).
 */
async function taskZip(bundle: Bundle, labels: string[], relabel: boolean): Promise<Uint8Array> {
  const [{ buildModel, layersTopology, modelWeights }] = await Promise.all([import('../../../shared/model'), import('../../backend').then((b) => b.startBackend())])
  const built = await buildModel(bundle, relabel ? { labels } : {})
  try {
    let files = new Map(bundle.files)
    let weights: Array<{ name: string; shape: readonly number[] }> = bundle.weights
    let paramFile = bundle.config.param_file
    if (relabel) {
      const trained = modelWeights(built.model)
      files.delete(bundle.config.param_file)
      files.set(RESULT_PARAM_FILE, writeSafetensors(trained))
      files.set(CONFIG_FILE, new TextEncoder().encode(JSON.stringify({ ...built.config, param_file: RESULT_PARAM_FILE }, null, 2) + '\n'))
      weights = trained
      paramFile = RESULT_PARAM_FILE
    }
    // A model with autofed's own layers (mobilenet-v2) has no export plain tfjs could load.
    const topology = layersTopology(built.model)
    if (topology.ok) files = withTaskTopology(files, paramFile, topology.topology, weights)
    return zipBundle(files)
  } finally {
    built.model.dispose()
  }
}

/** The initiator's page: bundle (built-in or from disk), labels, parameters → task and invite link. */
export function CreatePage() {
  const t = useT()
  const [token, setToken] = useLiveState(fragmentParam('token') ?? '')
  const [builtins, setBuiltins] = useLiveState<BundleInfo[]>([])
  const [source, setSource] = useLiveState<'builtin' | 'disk'>('builtin')
  const [builtin, setBuiltin] = useLiveState<string>('')
  const [disk, setDisk] = useLiveState<{ bundle: Bundle; name: string } | null>(null)
  const [labels, setLabels] = useLiveState('')
  const [name, setName] = useLiveState('')
  const [params, setParams] = useLiveState<Record<string, string>>(() => Object.fromEntries(PARAMS.map((p) => [p.key, String(p.value)])))
  const [aggregation, setAggregation] = useLiveState('fedavg')
  const [advanced, setAdvanced] = useLiveState(ADVANCED_DEFAULTS)
  // '' keeps the bundle's own learning_rate; a value is written into the task bundle's config.json.
  const [learningRate, setLearningRate] = useLiveState('')
  const [problems, setProblems] = useLiveState<Problem[]>([])
  const [error, setError] = useLiveState<string | null>(null)
  const [busy, setBusy] = useLiveState(false)
  const [created, setCreated] = useLiveState<CreateTaskResponse | null>(null)

  // A create link pasted into the address bar of this page changes only the fragment: take its token.
  useEffect(() => {
    const onHash = () => {
      const fromLink = fragmentParam('token')
      if (fromLink) setToken(fromLink)
    }
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])

  useEffect(() => {
    api()
      .bundles()
      .then((list) => {
        setBuiltins(list)
        // The paper CNN is the product's default model (npm start's task uses it too).
        const first = list.find((b) => b.id === 'mnist-cnn') ?? list[0]
        if (first) {
          setBuiltin(first.id)
          setLabels(first.labels.join(', '))
        }
      }, (err) => setError(messageOf(err, t)))
  }, [])

  const acceptFiles = (files: Map<string, Uint8Array>, label: string) => {
    const parsed = parseBundle(files)
    // Bundle code (entry_file) is refused here as by the API: nobody could train such a task.
    const refused = parsed.ok ? hostingProblems(parsed.value.config) : parsed.problems
    if (!parsed.ok || refused.length > 0) {
      setDisk(null)
      setProblems(refused)
      return
    }
    setProblems([])
    setDisk({ bundle: parsed.value, name: label })
    setLabels((labelsOf(parsed.value.config) ?? []).join(', '))
  }
  const onZip = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0]
    if (!file) return
    const unzipped = unzipBundle(new Uint8Array(await file.arrayBuffer()), { file: file.name })
    if (unzipped.ok) acceptFiles(unzipped.value, file.name)
    else setProblems(unzipped.problems)
  }

  /** The bundle chosen now, parsed (the built-in one is downloaded), for the learning-rate finder. */
  const chosenBundle = async (): Promise<Bundle> => {
    if (source === 'disk') {
      if (!disk) throw new ProblemError([{ file: t('create.bundle'), message: t('create.pickfolder') }])
      return disk.bundle
    }
    const unzipped = unzipBundle(await api(token).builtinBundleZip(builtin), { file: `${builtin}.zip` })
    if (!unzipped.ok) throw new ProblemError(unzipped.problems)
    const parsed = parseBundle(unzipped.value)
    if (!parsed.ok) throw new ProblemError(parsed.problems)
    return parsed.value
  }
  const chosenInfo = source === 'builtin' ? builtins.find((b) => b.id === builtin) : undefined
  const description = source === 'builtin' ? chosenInfo?.description : disk?.bundle.card.description
  const diskLr = disk?.bundle.config.learning_rate
  const bundleLr = source === 'disk' ? (typeof diskLr === 'number' ? diskLr : null) : (chosenInfo?.learningRate ?? null)

  /** The task parameters as entered, and what the aggregator would refuse of them (the same check). */
  const taskParams = (): Partial<TaskParams> => {
    const numeric: Record<string, number | string> = { aggregation }
    // A cleared field is left out, so the aggregator's default (its placeholder) applies, never Number('') = 0.
    for (const p of PARAMS) if (params[p.key].trim() !== '') numeric[p.key] = Number(params[p.key])
    return { ...(numeric as Partial<TaskParams>), ...advancedParams(advanced) }
  }
  const paramIssues = paramProblems(taskParams())

  const submit = async () => {
    setBusy(true)
    setError(null)
    setProblems([])
    try {
      const wanted = labelsOfField(labels)
      // Shown above the button, which they disable.
      if (paramIssues.length > 0) return
      const labelIssues = labelFieldProblems(wanted, t)
      if (labelIssues.length > 0) throw new ProblemError(labelIssues)
      const initiator = api(token)
      const typed = taskParams()
      const taskName = name || undefined
      const lr = learningRate.trim() === '' ? null : Number(learningRate)
      if (lr !== null && !(Number.isFinite(lr) && lr > 0)) throw new ProblemError([{ file: 'config.json', field: 'learning_rate', message: t('create.lrInvalid') }])
      let made: CreateTaskResponse
      if (source === 'builtin') {
        const info = builtins.find((b) => b.id === builtin)
        const same = info && info.labels.length === wanted.length && info.labels.every((l, i) => l === wanted[i])
        if ((same || !info) && lr === null) made = await initiator.createTask({ name: taskName, bundle: builtin, params: typed })
        else {
          const unzipped = unzipBundle(await initiator.builtinBundleZip(builtin), { file: `${builtin}.zip` })
          if (!unzipped.ok) throw new ProblemError(unzipped.problems)
          const parsed = parseBundle(unzipped.value)
          if (!parsed.ok) throw new ProblemError(parsed.problems)
          made = await initiator.createTaskFromZip(await taskZip(withLearningRate(parsed.value, lr), wanted, !same), typed, taskName)
        }
      } else {
        if (!disk) return
        const current = labelsOf(disk.bundle.config) ?? []
        const same = current.length === wanted.length && current.every((l, i) => l === wanted[i])
        const zip = await taskZip(withLearningRate(disk.bundle, lr), wanted, !same)
        made = await initiator.createTaskFromZip(zip, typed, taskName)
      }
      // The link on the address this page was opened at: the one the initiator reaches the aggregator by, whatever
      // a proxy in front of it told the aggregator.
      const shown = { ...made, inviteUrl: inviteUrl(location.origin, made.task.id, made.invite) }
      setCreated(shown)
      await saveCreatedTask({ taskId: made.task.id, name: made.task.name, createdAt: Date.now(), inviteUrl: shown.inviteUrl }).catch(() => {})
    } catch (err) {
      if (err instanceof ProblemError) setProblems(err.problems)
      else setError(messageOf(err, t))
    } finally {
      setBusy(false)
    }
  }

  if (created) {
    const dashboard = `/tasks/${encodeURIComponent(created.task.id)}#token=${encodeURIComponent(token)}`
    return (
      <section>
        <h1>{t('create.created')}</h1>
        <label>{t('create.invite')}</label>
        <CopyField value={created.inviteUrl} testId="invite-url" />
        <p style="margin-top:16px">
          <a class="button primary" href={dashboard} data-testid="dashboard-link">
            {t('create.dashboard')}
          </a>
        </p>
      </section>
    )
  }
  return (
    <section>
      <h1>{t('create.title')}</h1>
      {token.trim() === '' ? <p class="notice">{t('create.notoken')}</p> : null}
      <label for="token">{t('create.token')}</label>
      <input id="token" type="text" value={token} onInput={(e: Event) => setToken((e.target as HTMLInputElement).value)} />
      <h2>{t('create.bundle')}</h2>
      <div class="tabs">
        <button type="button" class={source === 'builtin' ? 'active' : ''} onClick={() => setSource('builtin')}>
          {t('create.builtin')}
        </button>
        <button type="button" class={source === 'disk' ? 'active' : ''} onClick={() => setSource('disk')} data-testid="bundle-disk">
          {t('create.fromdisk')}
        </button>
      </div>
      {source === 'builtin' ? (
        <select
          value={builtin}
          aria-label={t('create.builtin')}
          data-testid="bundle-select"
          onChange={(e: Event) => {
            const id = (e.target as HTMLSelectElement).value
            setBuiltin(id)
            setLabels(builtins.find((b) => b.id === id)?.labels.join(', ') ?? '')
          }}
        >
          {builtins.map((b) => (
            <option value={b.id}>
              {b.displayName} ({t('create.parameterCount', { count: b.parameters.toLocaleString() })})
            </option>
          ))}
        </select>
      ) : (
        <>
          <FolderPicker
            label={t('create.pickfolder')}
            testId="bundle-folder"
            onError={setError}
            onPicked={async (f) => acceptFiles(await readAll(f.source), f.name)}
          />
          <label for="bundle-zip">{t('create.pickzip')}</label>
          <input id="bundle-zip" type="file" accept=".zip,application/zip" onChange={onZip} data-testid="bundle-zip" />
          {disk ? (
            <p class="ok" data-testid="bundle-ok">
              {t('create.bundleok', {
                name: disk.bundle.card.displayName,
                params: disk.bundle.weights.reduce((n, w) => n + w.data.length, 0).toLocaleString(),
                labels: (labelsOf(disk.bundle.config) ?? []).join(', '),
              })}
            </p>
          ) : null}
        </>
      )}
      <Problems problems={problems} testId="bundle-problems" />
      <ModelDescription text={description} />
      <label for="labels">{t('create.labels')}</label>
      <input id="labels" type="text" value={labels} onInput={(e: Event) => setLabels((e.target as HTMLInputElement).value)} />
      <label for="task-name">{t('create.name')}</label>
      <input id="task-name" type="text" value={name} onInput={(e: Event) => setName((e.target as HTMLInputElement).value)} />
      <h2>{t('create.params')}</h2>
      <div class="grid-form">
        {PARAMS.map((p) => (
          <div>
            <label for={`p-${p.key}`}>
              {t(`param.${p.key}` as StringKey)} <code class="muted">{p.key}</code>
            </label>
            <input
              id={`p-${p.key}`}
              type="number"
              step={p.step ?? '1'}
              value={params[p.key]}
              placeholder={String(p.value)}
              onInput={(e: Event) => setParams({ ...params, [p.key]: (e.target as HTMLInputElement).value })}
            />
          </div>
        ))}
        <div>
          <label for="p-learning_rate">
            {t('create.lr')} <code class="muted">learning_rate</code>
          </label>
          <input
            id="p-learning_rate"
            type="text"
            inputMode="decimal"
            value={learningRate}
            placeholder={bundleLr !== null ? String(bundleLr) : ''}
            data-testid="learning-rate"
            onInput={(e: Event) => setLearningRate((e.target as HTMLInputElement).value)}
          />
        </div>
        <div>
          <label for="p-aggregation">
            {t('param.aggregation')} <code class="muted">aggregation</code>
          </label>
          <select id="p-aggregation" value={aggregation} onChange={(e: Event) => setAggregation((e.target as HTMLSelectElement).value)}>
            <option value="fedavg">fedavg</option>
            <option value="median">median</option>
            <option value="trimmed-mean">trimmed-mean</option>
          </select>
        </div>
      </div>
      <p class="muted">{t('create.lrHelp', { value: bundleLr !== null ? `: ${bundleLr}` : '' })}</p>
      <AdvancedSection value={advanced} onChange={setAdvanced} open={advanced !== ADVANCED_DEFAULTS} />
      <h2>{t('create.lrTitle')}</h2>
      <LrFinder
        bundle={chosenBundle}
        labels={labels.split(',').map((l) => l.trim()).filter((l) => l.length > 0)}
        used={learningRate.trim() === '' ? null : Number(learningRate)}
        onUse={(lr) => setLearningRate(String(lr))}
      />
      <Problems title={t('advanced.problems')} problems={paramIssues} testId="param-problems" />
      <ErrorBox message={error} />
      <p style="margin-top:16px">
        <button type="button" class="primary" disabled={busy || token === '' || (source === 'disk' && !disk) || paramIssues.length > 0} onClick={submit} data-testid="create-button">
          {busy ? t('create.creating') : t('create.submit')}
        </button>
      </p>
    </section>
  )
}
