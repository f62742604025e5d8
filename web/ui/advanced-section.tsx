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
  return (
    <details data-testid="advanced" open={props.open ? true : undefined}>
      <summary>{t('advanced.title')}</summary>
      <p class="muted">{t('advanced.intro')}</p>
      <div class="grid-form">
        <div>
          <label for="p-server_optimizer">
            {t('param.server_optimizer')} <code class="muted">server_optimizer</code>
          </label>
          <select id="p-server_optimizer" data-testid="p-server_optimizer" value={f.server_optimizer} onChange={(e: Event) => set({ server_optimizer: (e.target as HTMLSelectElement).value as AdvancedFields['server_optimizer'] })}>
            {SERVER_OPTIMIZERS.map((o) => (
              <option value={o} selected={o === f.server_optimizer}>
                {o}
              </option>
            ))}
          </select>
          <p class="muted help">{t('help.server_optimizer')}</p>
        </div>
        {OPTIMIZER_FIELDS[f.server_optimizer].map(number)}
        {number('proximal_mu')}
        <div>
          <label for="p-class_weight">
            {t('param.class_weight')} <code class="muted">class_weight</code>
          </label>
          <select id="p-class_weight" data-testid="p-class_weight" value={f.class_weight} onChange={(e: Event) => set({ class_weight: (e.target as HTMLSelectElement).value as AdvancedFields['class_weight'] })}>
            <option value="none" selected={f.class_weight === 'none'}>
              {t('advanced.classWeightNone')}
            </option>
            <option value="balanced" selected={f.class_weight === 'balanced'}>
              {t('advanced.classWeightBalanced')}
            </option>
          </select>
          <p class="muted help">{t('help.class_weight')}</p>
        </div>
      </div>
      <h3>{t('advanced.dp')}</h3>
      <label class="row">
        <input type="checkbox" checked={f.dp} data-testid="p-dp" onChange={(e: Event) => set({ dp: (e.target as HTMLInputElement).checked })} /> {t('advanced.dpEnable')}
      </label>
      <p class="muted help">{t('help.dp')}</p>
      {f.dp ? (
        <div class="grid-form">
          <div>
            <label for="p-dp_mode">
              {t('param.dp_mode')} <code class="muted">mode</code>
            </label>
            <select id="p-dp_mode" data-testid="p-dp_mode" value={f.dp_mode} onChange={(e: Event) => set({ dp_mode: (e.target as HTMLSelectElement).value as AdvancedFields['dp_mode'] })}>
              <option value="central" selected={f.dp_mode === 'central'}>
                {t('advanced.central')}
              </option>
              <option value="distributed" selected={f.dp_mode === 'distributed'}>
                {t('advanced.distributed')}
              </option>
            </select>
          </div>
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
