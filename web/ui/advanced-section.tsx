import { OPTIMIZER_FIELDS, SERVER_OPTIMIZERS, advancedPlaceholder, type AdvancedFields } from './advanced-params'
import { useT } from './i18n'
import type { StringKey } from './i18n'

type NumberField = 'server_learning_rate' | 'server_momentum' | 'beta_1' | 'beta_2' | 'tau' | 'proximal_mu' | 'clip_norm' | 'noise_multiplier' | 'delta' | 'target_epsilon' | 'secagg_degree' | 'secagg_threshold' | 'max_update_norm'

/**
 * The create page's advanced parameters (advanced-params.ts): the server optimizer with only its own
 * parameters, FedProx μ, differential privacy and secure aggregation, each with its help (the page shows what the aggregator
 * would refuse of them, found by the same check before anything is sent).
 */
export function AdvancedSection(props: { value: AdvancedFields; onChange(v: AdvancedFields): void; open: boolean }) {
  const t = useT()
  const f = props.value
  const set = (patch: Partial<AdvancedFields>) => props.onChange({ ...f, ...patch })
  const number = (key: NumberField) => (
    <div>
      <label for={`p-${key}`}>
        {t(`param.${key}` as StringKey)} <code class="muted">{key}</code>
      </label>
      <input
        id={`p-${key}`}
        type="text"
        inputMode="decimal"
        value={f[key]}
        placeholder={advancedPlaceholder(f, key)}
        data-testid={`p-${key}`}
        onInput={(e: Event) => set({ [key]: (e.target as HTMLInputElement).value })}
      />
      <p class="muted help">{t(`help.${key}` as StringKey)}</p>
    </div>
  )
  /** A select field: `name` is the parameter as written in the task's params; `help` shows `help.<key>` under it. */
  const choice = <K extends 'server_optimizer' | 'class_weight' | 'dp_mode'>(key: K, name: string, options: ReadonlyArray<readonly [AdvancedFields[K], string]>, help: boolean) => (
    <div>
      <label for={`p-${key}`}>
        {t(`param.${key}` as StringKey)} <code class="muted">{name}</code>
      </label>
      <select id={`p-${key}`} data-testid={`p-${key}`} value={f[key]} onChange={(e: Event) => set({ [key]: (e.target as HTMLSelectElement).value } as Partial<AdvancedFields>)}>
        {options.map(([value, label]) => (
          <option value={value} selected={value === f[key]}>
            {label}
          </option>
        ))}
      </select>
      {help ? <p class="muted help">{t(`help.${key}` as StringKey)}</p> : null}
    </div>
  )
  return (
    <details data-testid="advanced" open={props.open ? true : undefined}>
      <summary>{t('advanced.title')}</summary>
      <p class="muted">{t('advanced.intro')}</p>
      <div class="grid-form">
        {choice('server_optimizer', 'server_optimizer', SERVER_OPTIMIZERS.map((o) => [o, o] as const), true)}
        {OPTIMIZER_FIELDS[f.server_optimizer].map(number)}
        {number('proximal_mu')}
        {choice('class_weight', 'class_weight', [['none', t('advanced.classWeightNone')], ['balanced', t('advanced.classWeightBalanced')]], true)}
      </div>
      <h3>{t('advanced.dp')}</h3>
      <label class="row">
        <input type="checkbox" checked={f.dp} data-testid="p-dp" onChange={(e: Event) => set({ dp: (e.target as HTMLInputElement).checked })} /> {t('advanced.dpEnable')}
      </label>
      <p class="muted help">{t('help.dp')}</p>
      {f.dp ? (
        <div class="grid-form">
          {choice('dp_mode', 'mode', [['central', t('advanced.central')], ['distributed', t('advanced.distributed')]], false)}
          {number('clip_norm')}
          {number('noise_multiplier')}
          {number('delta')}
          {number('target_epsilon')}
        </div>
      ) : null}
      <h3>{t('advanced.secagg')}</h3>
      <label class="row">
        <input type="checkbox" checked={f.secagg} data-testid="p-secagg" onChange={(e: Event) => set({ secagg: (e.target as HTMLInputElement).checked })} /> {t('advanced.secaggEnable')}
      </label>
      <p class="muted help">{t('help.secagg')}</p>
      {f.secagg ? (
        <div class="grid-form">
          {f.dp ? null : number('max_update_norm')}
          {number('secagg_degree')}
          {number('secagg_threshold')}
        </div>
      ) : null}
    </details>
  )
}
