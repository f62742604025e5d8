/**
 * The words of the task parameters' problems (web/ui/param-problem-messages.ts composes them from the codes of
 * shared/wire issue-text.ts, param-problems.ts and secagg-problems.ts). Kept apart from en.ts and zh.ts, which
 * merge them in, as file-problems.ts is. The English is shared's, exactly: param-problem-messages.test.ts
 * compares them.
 */
export const PARAM_PROBLEMS_EN = {
  'paramProblem.required': 'is required',
  'paramProblem.unknownKey': 'is not a known key; remove it',
  'paramProblem.number': 'must be {rule}, got {received}',
  'paramRule.number': 'a number',
  'paramRule.whole': 'a whole number',
  'paramRule.range': '{what} from {min} to {max}',
  'paramRule.bounds': '{what} {lo} and {hi}',
  'paramRule.bound': '{what} {bound}',
  'paramRule.min': '≥ {value}',
  'paramRule.gt': '> {value}',
  'paramRule.max': '≤ {value}',
  'paramRule.lt': '< {value}',
  'paramProblem.oneOf': 'must be one of {options}, got {received}',
  'paramProblem.text': 'must be text (a JSON string), got {received}',
  'paramProblem.boolean': 'must be true or false, got {received}',
  'paramProblem.object': 'must be a JSON object, got {received}',
  'paramProblem.list': 'must be a list, got {received}',
  'paramProblem.lengthMin': 'must have at least {amount}, got {received}',
  'paramProblem.lengthMax': 'must have at most {amount}, got {received}',
  'paramUnit.characters': '{count} characters',
  'paramUnit.charactersOne': '1 character',
  'paramUnit.items': '{count} items',
  'paramUnit.itemsOne': '1 item',
  'paramProblem.invalid': 'must be {expected}, got {received}',
  'paramProblem.invalidOther': 'must be something else, got {received}',
  // What valibot and typeof call the value found; any other name is shown as it is.
  'paramReceived.list': 'a list',
  'paramReceived.object': 'an object',
  'paramReceived.array': 'an array',
  'paramReceived.string': 'string',
  'paramReceived.number': 'number',
  'paramReceived.boolean': 'boolean',
  'paramList.or': '{list} or {last}',
  'paramList.orSeparator': ' or ',
  'paramProblem.notParameter': 'is not a task parameter; correct or remove it',
  'paramProblem.notParameterMeant': 'is not a task parameter (did you mean {names}?); correct or remove it',
  'paramProblem.bundle.learning_rate':
    "is not a task parameter: the participants' learning rate is the bundle's config.json learning_rate (the create page's Learning rate field writes it there); server_learning_rate is the server optimizer's",
  'paramProblem.bundle.batch_size': "is not a task parameter: the batch size is the bundle's config.json batch_size",
  'paramProblem.bundle.epochs': 'is not a task parameter: the local epochs of a round are merge_epochs',
  'paramProblem.notObject': 'must be a JSON object of task parameters ({"max_rounds": 20, …}), got {received}',
  'paramProblem.perRoundFraction': 'must be a fraction in (0, 1] or a whole count of at least 2',
  'paramProblem.minOverMax': 'is {min} but max_participants admits only {max}; lower it or raise max_participants',
  'paramProblem.otherOptimizer': 'applies to server_optimizer {owners}, not "{optimizer}"; remove it or change server_optimizer',
  'paramProblem.dp.median':
    '"{aggregation}" cannot be combined with differential_privacy: its noise is calibrated to the mean of clipped updates (one participant moves it by at most clip_norm / m), a median has no such bound; use aggregation "fedavg" or remove differential_privacy',
  'paramProblem.dp.trimmedMean':
    '"{aggregation}" cannot be combined with differential_privacy: its noise is calibrated to the mean of clipped updates (one participant moves it by at most clip_norm / m), a trimmed mean has no such bound; use aggregation "fedavg" or remove differential_privacy',
  'paramProblem.dp.updateNormOff':
    '"{updateNorm}" cannot be combined with differential_privacy, which needs every update clipped to clip_norm (unclipped updates have no bounded sensitivity); leave update_norm at "clip"',
  'paramProblem.dp.updateNormRefuse':
    '"{updateNorm}" cannot be combined with differential_privacy, which needs every update clipped to clip_norm (refusing a long update is itself a data-dependent release); leave update_norm at "clip"',
  'paramProblem.dp.maxUpdateNorm': 'differential_privacy bounds every update by its clip_norm; remove max_update_norm',
  'paramProblem.dp.delta': "is {delta} but must be below 1/max_participants ({limit}): a δ of 1/n allows publishing one of n participants' updates whole; use 1e-5 or less",
  'paramProblem.dp.targetEpsilon': 'is {target} but one round at noise_multiplier {noiseMultiplier} already spends ε = {epsilon} (δ = {delta}); raise target_epsilon or noise_multiplier',
  'paramProblem.secagg.median':
    '"{aggregation}" cannot be combined with secure_aggregation: the aggregator sees only the sum of the masked updates, never one update, so it cannot take a median; use aggregation "fedavg" or remove secure_aggregation',
  'paramProblem.secagg.trimmedMean':
    '"{aggregation}" cannot be combined with secure_aggregation: the aggregator sees only the sum of the masked updates, never one update, so it cannot take a trimmed mean; use aggregation "fedavg" or remove secure_aggregation',
  'paramProblem.secagg.updateNormRefuse':
    '"{updateNorm}" cannot be combined with secure_aggregation: a masked update\'s norm cannot be checked by the aggregator, so each participant clips its own update to max_update_norm (a refusal needs the norm the aggregator cannot see); leave update_norm at "clip"',
  'paramProblem.secagg.updateNormOff':
    '"{updateNorm}" cannot be combined with secure_aggregation: a masked update\'s norm cannot be checked by the aggregator, so each participant clips its own update to max_update_norm (unclipped updates could overflow the masked sum); leave update_norm at "clip"',
  'paramProblem.secagg.boundRequired':
    'is required with secure_aggregation: participants clip their update to this L2 bound before masking, and the aggregator sizes the fixed-point ring by it (or set differential_privacy, whose clip_norm is the bound)',
  'paramProblem.secagg.ringBound': 'the per-coordinate bound {bound} is over {max} (2²⁰), which would leave too few fraction bits in the 32-bit ring: lower it (at most {max})',
  'paramProblem.secagg.ringBoundNoise':
    'the per-coordinate bound {bound} is over {max} (2²⁰), which would leave too few fraction bits in the 32-bit ring: lower it (at most {max} including ten standard deviations of the distributed noise)',
  'paramProblem.secagg.minParticipants': "is {min} but secure_aggregation needs at least 3: the sum of two updates tells each of the two senders the other's update",
  'paramProblem.secagg.thresholdRound':
    'is {threshold} but a round of min_participants ({min}) participants has only {neighbours} neighbours to hold shares; lower threshold or raise min_participants',
  'paramProblem.secagg.thresholdDegree': 'is {threshold} but degree {degree} gives each participant {neighbours} neighbours in a sparse graph; lower threshold or raise degree',
  'paramProblem.secagg.thresholdDefault':
    'is {threshold} but the default degree gives each participant as few as {neighbours} neighbours in a round of {min} or more (2⌈log₂ n⌉ above 10 participants); lower threshold or set a degree',
} as const

/** Chinese: parameter names, JSON values and numbers stay as they are; no plural. */
export const PARAM_PROBLEMS_ZH: Record<keyof typeof PARAM_PROBLEMS_EN, string> = {
  'paramProblem.required': '是必填项',
  'paramProblem.unknownKey': '不是可识别的键；请删除',
  'paramProblem.number': '应为{rule}，实际为 {received}',
  'paramRule.number': '数字',
  'paramRule.whole': '整数',
  'paramRule.range': '介于 {min} 到 {max} 之间的{what}',
  'paramRule.bounds': '{what}（{lo} 且 {hi}）',
  'paramRule.bound': '{what}（{bound}）',
  'paramRule.min': '≥ {value}',
  'paramRule.gt': '> {value}',
  'paramRule.max': '≤ {value}',
  'paramRule.lt': '< {value}',
  'paramProblem.oneOf': '应为 {options} 之一，实际为 {received}',
  'paramProblem.text': '应为文本（JSON 字符串），实际为 {received}',
  'paramProblem.boolean': '应为 true 或 false，实际为 {received}',
  'paramProblem.object': '应为 JSON 对象，实际为 {received}',
  'paramProblem.list': '应为列表，实际为 {received}',
  'paramProblem.lengthMin': '至少应有 {amount}，实际为 {received}',
  'paramProblem.lengthMax': '最多只能有 {amount}，实际为 {received}',
  'paramUnit.characters': '{count} 个字符',
  'paramUnit.charactersOne': '1 个字符',
  'paramUnit.items': '{count} 项',
  'paramUnit.itemsOne': '1 项',
  'paramProblem.invalid': '应为 {expected}，实际为 {received}',
  'paramProblem.invalidOther': '取值无效，实际为 {received}',
  'paramReceived.list': '列表',
  'paramReceived.object': '对象',
  'paramReceived.array': '数组',
  'paramReceived.string': '字符串',
  'paramReceived.number': '数字',
  'paramReceived.boolean': '布尔值',
  'paramList.or': '{list} 或 {last}',
  'paramList.orSeparator': ' 或 ',
  'paramProblem.notParameter': '不是任务参数；请改正或删除',
  'paramProblem.notParameterMeant': '不是任务参数（是否想写 {names}？）；请改正或删除',
  'paramProblem.bundle.learning_rate':
    '不是任务参数：参与方的学习率是模型包 config.json 中的 learning_rate（创建页的“学习率”字段会写入该处）；server_learning_rate 是服务器优化器的学习率',
  'paramProblem.bundle.batch_size': '不是任务参数：批大小是模型包 config.json 中的 batch_size',
  'paramProblem.bundle.epochs': '不是任务参数：每轮的本地训练轮数是 merge_epochs',
  'paramProblem.notObject': '应为由任务参数组成的 JSON 对象（{"max_rounds": 20, …}），实际为 {received}',
  'paramProblem.perRoundFraction': '应为 (0, 1] 内的比例，或不小于 2 的整数人数',
  'paramProblem.minOverMax': '为 {min}，但 max_participants 只允许 {max} 个参与方；请调低它或调高 max_participants',
  'paramProblem.otherOptimizer': '只适用于 server_optimizer {owners}，不适用于 "{optimizer}"；请删除它或更改 server_optimizer',
  'paramProblem.dp.median':
    '"{aggregation}" 不能与 differential_privacy 同时使用：其噪声按裁剪后更新的均值校准（一个参与方最多使均值移动 clip_norm / m），而中位数没有这样的上界；请使用 aggregation "fedavg" 或去掉 differential_privacy',
  'paramProblem.dp.trimmedMean':
    '"{aggregation}" 不能与 differential_privacy 同时使用：其噪声按裁剪后更新的均值校准（一个参与方最多使均值移动 clip_norm / m），而截尾均值没有这样的上界；请使用 aggregation "fedavg" 或去掉 differential_privacy',
  'paramProblem.dp.updateNormOff': '"{updateNorm}" 不能与 differential_privacy 同时使用，后者要求每个更新都裁剪到 clip_norm（未裁剪的更新敏感度没有上界）；请将 update_norm 保持为 "clip"',
  'paramProblem.dp.updateNormRefuse': '"{updateNorm}" 不能与 differential_privacy 同时使用，后者要求每个更新都裁剪到 clip_norm（拒收过长的更新本身就泄露了取决于数据的信息）；请将 update_norm 保持为 "clip"',
  'paramProblem.dp.maxUpdateNorm': '不应设置：differential_privacy 已用其 clip_norm 限定每个更新；请去掉 max_update_norm',
  'paramProblem.dp.delta': '为 {delta}，但必须小于 1/max_participants（{limit}）：δ 为 1/n 时允许完整公开 n 个参与方之一的更新；请使用 1e-5 或更小的值',
  'paramProblem.dp.targetEpsilon': '为 {target}，但在 noise_multiplier {noiseMultiplier} 下一轮就已花费 ε = {epsilon}（δ = {delta}）；请调高 target_epsilon 或 noise_multiplier',
  'paramProblem.secagg.median':
    '"{aggregation}" 不能与 secure_aggregation 同时使用：聚合服务器只能看到掩码后更新的总和，看不到任何单个更新，因此无法取中位数；请使用 aggregation "fedavg" 或去掉 secure_aggregation',
  'paramProblem.secagg.trimmedMean':
    '"{aggregation}" 不能与 secure_aggregation 同时使用：聚合服务器只能看到掩码后更新的总和，看不到任何单个更新，因此无法取截尾均值；请使用 aggregation "fedavg" 或去掉 secure_aggregation',
  'paramProblem.secagg.updateNormRefuse':
    '"{updateNorm}" 不能与 secure_aggregation 同时使用：聚合服务器无法检查掩码后更新的范数，因此由每个参与方自行把更新裁剪到 max_update_norm（拒收需要聚合服务器看不到的范数）；请将 update_norm 保持为 "clip"',
  'paramProblem.secagg.updateNormOff':
    '"{updateNorm}" 不能与 secure_aggregation 同时使用：聚合服务器无法检查掩码后更新的范数，因此由每个参与方自行把更新裁剪到 max_update_norm（未裁剪的更新可能使掩码后的总和溢出）；请将 update_norm 保持为 "clip"',
  'paramProblem.secagg.boundRequired':
    '在启用 secure_aggregation 时是必填项：参与方在加掩码前把更新裁剪到这个 L2 上界，聚合服务器也据此确定定点数环的大小（也可以设置 differential_privacy，以其 clip_norm 作为上界）',
  'paramProblem.secagg.ringBound': '过大：每个坐标的上界 {bound} 超过了 {max}（2²⁰），会使 32 位环中的小数位过少；请调低它（最多 {max}）',
  'paramProblem.secagg.ringBoundNoise': '过大：每个坐标的上界 {bound} 超过了 {max}（2²⁰），会使 32 位环中的小数位过少；请调低它（最多 {max}，含分布式噪声的十个标准差）',
  'paramProblem.secagg.minParticipants': '为 {min}，但 secure_aggregation 至少需要 3 个参与方：两个更新之和会让两个发送者各自得知对方的更新',
  'paramProblem.secagg.thresholdRound': '为 {threshold}，但一轮只有 min_participants（{min}）个参与方时，每个参与方只有 {neighbours} 个邻居可以保管秘密份额；请调低 threshold 或调高 min_participants',
  'paramProblem.secagg.thresholdDegree': '为 {threshold}，但 degree 为 {degree} 时，稀疏图中每个参与方只有 {neighbours} 个邻居；请调低 threshold 或调高 degree',
  'paramProblem.secagg.thresholdDefault':
    '为 {threshold}，但在 {min} 个或更多参与方的一轮中，默认的 degree 可能只给每个参与方 {neighbours} 个邻居（超过 10 个参与方时为 2⌈log₂ n⌉）；请调低 threshold 或设置 degree',
}
