/**
 * What a participant with nothing to do waits for (web/ui/waiting-text.ts composes it from the code of
 * shared/participant/waiting.ts). Kept apart from en.ts and zh.ts, which merge them in. The English is
 * shared's waitingText exactly: waiting-text.test.ts compares them.
 */
export const WAITING_EN = {
  'wait.notStarted': 'waiting for the initiator to start the task',
  'wait.round': 'round {round}',
  'wait.roundAttempt': 'round {round} (attempt {attempt})',
  'wait.tooFew': '{r}: waiting for enough participants to start',
  'wait.tooFewRetry': '{r}: waiting for enough participants to start the retry',
  'wait.updateIn': "{r}: our update is in; waiting for the other participants' updates",
  'wait.secureUnderWay': '{r}: secure aggregation of this attempt under way; waiting for the other participants',
  'wait.satOut': '{r}: sat this attempt out; waiting for a retry or the next round',
  'wait.updateRefused': '{r}: the aggregator did not take our update; waiting for the retry or the next round',
  'wait.notSelected': '{r}: not selected for this round; waiting for the next one',
  'wait.validation': "round {round}: waiting for the other participants' validation",
  'wait.test': "waiting for the other participants' test results",
  'retry.line': '{what}: retry {attempt} in {seconds} s ({error})',
  'retry.join': 'join',
  'retry.log': 'log',
  'retry.taskState': 'task state',
  'retry.weights': 'weights {version}',
  'retry.upload': 'upload of round {round}',
  'retry.validation': 'validation of round {round}',
  'retry.masked': 'masked update of round {round}',
  'retry.secaggState': 'secure aggregation state of round {round}',
  'retry.secaggStep': 'secure aggregation {step} of round {round}',
} as const

export const WAITING_ZH: Record<keyof typeof WAITING_EN, string> = {
  'wait.notStarted': '等待发起方启动任务',
  'wait.round': '第 {round} 轮',
  'wait.roundAttempt': '第 {round} 轮（第 {attempt} 次尝试）',
  'wait.tooFew': '{r}：等待足够的参与方后开始',
  'wait.tooFewRetry': '{r}：等待足够的参与方后开始重试',
  'wait.updateIn': '{r}：我们的更新已提交；等待其他参与方的更新',
  'wait.secureUnderWay': '{r}：本次尝试的安全聚合正在进行；等待其他参与方',
  'wait.satOut': '{r}：本次尝试未参加；等待重试或下一轮',
  'wait.updateRefused': '{r}：聚合服务器没有接收我们的更新；等待重试或下一轮',
  'wait.notSelected': '{r}：本轮未被选中；等待下一轮',
  'wait.validation': '第 {round} 轮：等待其他参与方的验证结果',
  'wait.test': '等待其他参与方的测试结果',
  'retry.line': '{what}：{seconds} 秒后第 {attempt} 次重试（{error}）',
  'retry.join': '加入任务',
  'retry.log': '发送日志',
  'retry.taskState': '读取任务状态',
  'retry.weights': '下载第 {version} 版权重',
  'retry.upload': '上传第 {round} 轮的更新',
  'retry.validation': '上报第 {round} 轮的验证结果',
  'retry.masked': '上传第 {round} 轮的掩码更新',
  'retry.secaggState': '读取第 {round} 轮的安全聚合状态',
  'retry.secaggStep': '第 {round} 轮安全聚合的 {step} 步骤',
}
