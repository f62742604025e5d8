import { describe, expect, it } from 'vitest'
import { ADVANCED_DEFAULTS, advancedParams, advancedPlaceholder, paramProblems } from './advanced-params'

const fields = (over: Partial<typeof ADVANCED_DEFAULTS>) => ({ ...ADVANCED_DEFAULTS, ...over })

describe('advanced task parameters of the create page', () => {
  it('sends nothing when left as they are, so the aggregator\'s defaults apply', () => {
    expect(advancedParams(ADVANCED_DEFAULTS)).toEqual({})
    expect(paramProblems(advancedParams(ADVANCED_DEFAULTS))).toEqual([])
  })

  it('sends the chosen optimizer with only its own parameters, FedProx μ and differential_privacy', () => {
    // beta_1 typed before switching to fedavgm is not sent: the aggregator would refuse it for fedavgm.
    expect(advancedParams(fields({ server_optimizer: 'fedavgm', server_momentum: '0.5', beta_1: '0.8', proximal_mu: '0.01' }))).toEqual({ server_optimizer: 'fedavgm', server_momentum: 0.5, proximal_mu: 0.01 })
    const dp = advancedParams(fields({ server_optimizer: 'fedadam', tau: '1e-4', dp: true, dp_mode: 'distributed', clip_norm: '1', noise_multiplier: '9.05', target_epsilon: '1' }))
    expect(dp).toEqual({ server_optimizer: 'fedadam', tau: 1e-4, differential_privacy: { mode: 'distributed', clip_norm: 1, noise_multiplier: 9.05, target_epsilon: 1 } })
    expect(paramProblems(dp)).toEqual([])
  })

  it('shows the default each optimizer fills in for an empty field', () => {
    expect(['fedavg', 'fedavgm', 'fedadam', 'fedyogi'].map((o) => advancedPlaceholder(fields({ server_optimizer: o as 'fedavg' }), 'server_learning_rate'))).toEqual(['1', '1', '0.1', '0.01'])
    expect([advancedPlaceholder(fields({ server_optimizer: 'fedavgm' }), 'server_momentum'), advancedPlaceholder(ADVANCED_DEFAULTS, 'delta')]).toEqual(['0.9', '0.00001'])
  })

  it('finds what the aggregator refuses, naming each field as it does', () => {
    const problems = paramProblems(advancedParams(fields({ server_optimizer: 'fedavgm', server_momentum: '1', proximal_mu: 'abc', dp: true, clip_norm: '', noise_multiplier: '0' })))
    expect(problems.map((p) => p.field)).toEqual(['server_momentum', 'proximal_mu', 'differential_privacy.clip_norm', 'differential_privacy.noise_multiplier'])
    expect(problems.find((p) => p.field === 'differential_privacy.clip_norm')?.message).toBe('is required')
    // Rules across fields, as the aggregator's: δ below 1/max_participants, and DP only with plain averaging.
    const mixed = paramProblems({ aggregation: 'median', max_participants: 1000, ...advancedParams(fields({ dp: true, clip_norm: '1', noise_multiplier: '1', delta: '0.01' })) })
    expect(mixed.map((p) => p.field)).toEqual(['aggregation', 'differential_privacy.delta'])
  })

  it('sends secure_aggregation with its bound: max_update_norm, or differential privacy\'s clip norm; refuses what cannot be combined with it', () => {
    expect(advancedParams(fields({ secagg: true, max_update_norm: '5' }))).toEqual({ secure_aggregation: {}, max_update_norm: 5 })
    expect(paramProblems({ min_participants: 3, ...advancedParams(fields({ secagg: true, max_update_norm: '5', secagg_degree: '4', secagg_threshold: '2' })) })).toEqual([])
    // Under differential privacy the clip norm is the bound: a max_update_norm typed before is not sent.
    const withDp = advancedParams(fields({ secagg: true, max_update_norm: '5', dp: true, dp_mode: 'distributed', clip_norm: '1', noise_multiplier: '1' }))
    expect(withDp).toEqual({ secure_aggregation: {}, differential_privacy: { mode: 'distributed', clip_norm: 1, noise_multiplier: 1 } })
    expect(paramProblems({ min_participants: 3, ...withDp })).toEqual([])
    // Without a bound, with the default minimum of 1 participant, or with a median: named as the aggregator names them.
    const refused = paramProblems({ aggregation: 'median', ...advancedParams(fields({ secagg: true })) })
    expect(refused.map((p) => p.field).sort()).toEqual(['aggregation', 'max_update_norm', 'min_participants'])
  })
})
