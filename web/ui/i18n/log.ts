import { LOG_FORMATS, type LogLineCode } from '../../../shared/log-lines'

/**
 * The task log's lines (web/ui/log-messages.ts reads them back from the English with shared/log-lines).
 * Kept apart from en.ts and zh.ts, which merge them in. The English is shared's format of each code, so
 * a line shown through `log.<code>` in English is the line as it came.
 */

type Prefixed<T extends Record<string, string>> = { [K in keyof T & string as `log.${K}`]: T[K] }

const prefixed = <T extends Record<string, string>>(table: T): Prefixed<T> =>
  Object.fromEntries(Object.entries(table).map(([code, text]) => [`log.${code}`, text])) as Prefixed<T>

export const LOG_EN = {
  ...prefixed(LOG_FORMATS),
  // The name the aggregator's lines carry (edge/round/logs.ts).
  'logName.aggregator': 'aggregator',
} as const

const STOPPED = '第 {round} 轮：安全聚合第 {attempt} 次尝试在'
const FRESH_KEYS = '将用新密钥从第 {version} 版重试本轮'
const STATE = '第 {round} 轮：第 {version} 版的 {optimizer} 状态（{key}）'
const MOMENTS = '其动量从零重新开始（如需保留，请从备份恢复数据文件夹）'
const SCALED = '第 {round} 轮：{name} 的更新与全局第 {version} 版的 L2 距离为 {norm}，超过上界 {bound}；已按比例缩小到上界'
const METRICS = '平均损失 {loss}，准确率 {accuracy}'
const SECURE = '第 {round} 轮：安全聚合第 {attempt} 次尝试：'
const NEXT_ATTEMPT = '；等待下一次尝试或下一轮。'

/** Chinese: names, ids and an error's own words are shown as they came; figures as the line wrote them. */
export const LOG_ZH: Record<keyof typeof LOG_EN, string> = {
  'logName.aggregator': '聚合服务器',
  'log.validationNoneBest': '第 {round} 轮：没有验证数据（在线的参与方都没有验证图像）；最新版本视为最佳版本',
  'log.validationNoneFlat': '第 {round} 轮：没有验证数据，已连续 {flat} 轮没有提升',
  'log.validationBest': '第 {round} 轮：验证准确率 {accuracy}（目前最佳）',
  'log.validationFlat': '第 {round} 轮：验证准确率 {accuracy}，已连续 {flat} 轮没有提升',
  'log.stopPatience': '提前停止：连续 {patience} 轮没有提升；开始测试第 {version} 版',
  'log.stopMaxRounds': '已达到最大轮数（{maxRounds}）；开始测试第 {version} 版',
  'log.initialNone': '第 0 轮：第 0 版没有验证或测试结果（在线的参与方都没有验证或测试图像）；开始训练',
  'log.initialValidation': '第 0 轮（第 0 版，训练前）：验证准确率 {accuracy}',
  'log.initialValidationTest': '第 0 轮（第 0 版，训练前）：验证准确率 {accuracy}，测试准确率 {testAccuracy}（{examples} 个样本）',
  'log.initialNoValidation': '第 0 轮（第 0 版，训练前）：没有验证数据',
  'log.initialNoValidationTest': '第 0 轮（第 0 版，训练前）：没有验证数据，测试准确率 {testAccuracy}（{examples} 个样本）',
  'log.serverStateMissing': `${STATE}缺失；${MOMENTS}`,
  'log.serverStateDamaged': `${STATE}已损坏：{reason}；${MOMENTS}`,
  'log.scaledDp': `${SCALED}（差分隐私的裁剪范数）`,
  'log.scaledClip': `${SCALED}（update_norm 为 "clip"）`,
  'log.averaged': '第 {round} 轮：已将 {updates} 个更新（{examples} 个样本）平均为第 {version} 版',
  'log.averagedPrivate': '第 {round} 轮：已将 {updates} 个更新（{examples} 个样本）平均为第 {version} 版；迄今已花费隐私预算 ε = {epsilon}（δ = {delta}）',
  'log.retry': '第 {round} 轮：超时前只收到 {selected} 个更新中的 {got} 个，需要 {needed} 个；从第 {version} 版重新开始本轮',
  'log.retryKeeping': '第 {round} 轮：超时前只收到 {selected} 个更新中的 {got} 个，需要 {needed} 个；从第 {version} 版重新开始本轮，保留已收到的 {got} 个（不再向其发送方索取）',
  'log.secaggSharing': '第 {round} 轮：安全聚合：{got} 个参与方已加入，开始分享密钥（限时 {seconds} 秒）',
  'log.secaggMasked': '第 {round} 轮：安全聚合：{got} 个参与方已加入，开始上传掩码更新（限时 {seconds} 秒）',
  'log.secaggUnmasking': '第 {round} 轮：安全聚合：{got} 个参与方已加入，开始解除掩码（限时 {seconds} 秒）',
  'log.secaggStopAdvertise': `${STOPPED}公布密钥步骤中止：{expected} 个参与方中只有 {got} 个发送了密钥，需要 {needed} 个；${FRESH_KEYS}`,
  'log.secaggStopShare': `${STOPPED}分享密钥步骤中止：{expected} 个参与方中只有 {got} 个发送了加密的秘密份额，需要 {needed} 个；${FRESH_KEYS}`,
  'log.secaggStopMasked': `${STOPPED}上传掩码更新步骤中止：{expected} 个参与方中只有 {got} 个发送了掩码更新，需要 {needed} 个；${FRESH_KEYS}`,
  'log.secaggStopUnmask': `${STOPPED}解除掩码步骤中止：{expected} 个参与方中只有 {got} 个揭示了秘密份额，需要 {needed} 个；${FRESH_KEYS}`,
  'log.secaggStopThreshold': `${STOPPED}公布密钥步骤中止：重建秘密所需份额数 {threshold} 大于 {got} 个参与方各自的邻居数 {degree}；${FRESH_KEYS}`,
  'log.secaggStopDamaged': `${STOPPED}解除掩码步骤中止：已存储的 {id} 的掩码更新已损坏；${FRESH_KEYS}`,
  'log.secaggStopMissing': `${STOPPED}解除掩码步骤中止：已存储的 {id} 的掩码更新缺失；${FRESH_KEYS}`,
  'log.secaggStopUnmaskError': `${STOPPED}解除掩码步骤中止：无法解除总和的掩码：{error}；${FRESH_KEYS}`,
  'log.waiting': '第 {round} 轮：等待参与方（{online} 个在线，需要 {needed} 个）',
  'log.waitingKeptOne': '第 {round} 轮：等待参与方（{online} 个在线，保留了 1 个更新，需要 {needed} 个）',
  'log.waitingKept': '第 {round} 轮：等待参与方（{online} 个在线，保留了 {kept} 个更新，需要 {needed} 个）',
  'log.lateJoin': '第 {round} 轮：{name} 加入本轮（还剩 {seconds} 秒可用于训练）',
  'log.lateUploads': '第 {round} 轮：超时（{seconds} 秒）结束时 {names} 的更新仍在传输中；延长计算超时（calculation_timeout）可让较慢的站点赶上',
  'log.tested': '第 {version} 版的测试结果：准确率 {accuracy}（{examples} 个样本）',
  'log.doneUntested': '任务结束，没有测试结果：没有参与方有测试图像；第 {version} 版为最佳模型（可在结果页下载）',
  'log.testWaiting': '超时前没有收到测试结果；再次等待参与方测试第 {version} 版',
  'log.budgetSpent': '隐私预算已用完：{rounds} 轮后 ε = {epsilon}（δ = {delta}）；第 {next} 轮将达到 ε = {nextEpsilon}，超过目标 ε {target}；开始测试第 {version} 版',
  'log.trainBegin': '开始第 {round} 轮训练。',
  'log.trainResume': '从第 {epoch} 个 epoch 之后继续第 {round} 轮训练。',
  'log.trainResend': '再次发送第 {round} 轮的更新（之前已训练，但当时未被接收）。',
  'log.noImage': '第 {round} 轮：没有一张训练图像能读取；本次不发送更新。',
  'log.noImageSkipped': '第 {round} 轮：没有一张训练图像能读取（跳过了 {skipped} 个文件）；本次不发送更新。',
  'log.noised': '第 {round} 轮：更新已裁剪到范数 {clipNorm}（原范数为 {norm}），并加入了标准差为 {std} 的高斯噪声（分布式差分隐私）。',
  'log.notTaken': '第 {round} 轮：聚合服务器没有接收我们的更新（{why}）；等待下一轮或下一次尝试。',
  'log.refused': '第 {round} 轮：聚合服务器拒绝了我们的更新（{why}）；本次尝试不再参与。',
  'log.trainDone': '第 {round} 轮训练完成：{examples} 张图像。',
  'log.trainDoneMetrics': `第 {round} 轮训练完成：{examples} 张图像，${METRICS}。`,
  'log.trainDoneSkippedOne': `第 {round} 轮训练完成：{examples} 张图像，${METRICS}，跳过了 1 个无法读取的文件。`,
  'log.trainDoneSkipped': `第 {round} 轮训练完成：{examples} 张图像，${METRICS}，跳过了 {skipped} 个无法读取的文件。`,
  'log.secureClipped': `${SECURE}更新已裁剪到范数 {clipNorm}（原范数为 {norm}），发送前已加掩码。`,
  'log.secureLostKeys': `${SECURE}本次尝试未包含我们的密钥就继续进行了${NEXT_ATTEMPT}`,
  'log.secureLostShares': `${SECURE}本次尝试未包含我们的秘密份额就继续进行了${NEXT_ATTEMPT}`,
  'log.secureLostMasked': `${SECURE}本次尝试未包含我们的掩码更新就继续进行了${NEXT_ATTEMPT}`,
  'log.secureLost': `${SECURE}{why}${NEXT_ATTEMPT}`,
  'log.secureDone': '第 {round} 轮训练完成：{examples} 张图像；已发送掩码更新和秘密份额。',
  'log.secureDoneMetrics': `第 {round} 轮训练完成：{examples} 张图像，${METRICS}；已发送掩码更新和秘密份额。`,
  'log.validated': `第 {round} 轮验证结果：${METRICS}`,
  'log.testedFinal': `测试结果：${METRICS}`,
  'log.testedRound': `第 {round} 轮测试结果：${METRICS}`,
  'log.problem': '问题：{message}；继续运行。',
  'log.paused': '浏览器将此参与方暂停了 {seconds} 秒（其标签页在后台被冻结）；期间的轮次可能已在没有它的情况下进行。',
}
