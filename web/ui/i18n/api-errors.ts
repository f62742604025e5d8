import { API_ERROR_FORMATS } from '../../../shared/api-errors'

/**
 * The aggregator's errors a person meets, by code (shared/api-errors; web/ui/api-error-text.ts picks them).
 * Kept apart from en.ts and zh.ts, which merge them in. The English is the aggregator's own format of each
 * code, so an error shown through `apiError.<code>` in English is the `error` text as it came.
 */

type Prefixed<T extends Record<string, string>> = { [K in keyof T & string as `apiError.${K}`]: T[K] }

const prefixed = <T extends Record<string, string>>(table: T): Prefixed<T> =>
  Object.fromEntries(Object.entries(table).map(([code, text]) => [`apiError.${code}`, text])) as Prefixed<T>

export const API_ERRORS_EN = prefixed(API_ERROR_FORMATS)

const NEW_TASK = '请向发起人索取新任务的邀请链接'

/** Chinese: names, labels and ids are shown as they came; protocol details the page cannot act on are left out. */
export const API_ERRORS_ZH: Record<keyof typeof API_ERRORS_EN, string> = {
  'apiError.invite-wrong': '邀请密钥不正确；请向发起人索取新的邀请链接',
  'apiError.missing-invite': '请求中缺少邀请密钥；请打开发起人发来的完整邀请链接',
  'apiError.name-taken': '名称“{name}”在本任务中已被占用；请换一个名称，或用您之前获得的令牌重新加入',
  'apiError.join-task-done': `任务“{name}”已完成，不再接受新的参与方；${NEW_TASK}`,
  'apiError.join-task-stopped': `任务“{name}”已停止，不再接受新的参与方；${NEW_TASK}`,
  'apiError.task-full': '任务“{name}”的参与方已满（上限 {max} 个）；如需加入，请发起人新建一个参与方上限更高的任务',
  'apiError.unknown-labels': '本任务没有这些标签：{unknown}（任务的标签：{labels}）；请移除这些图像，或选择与之匹配的任务',
  'apiError.no-training-images': '所选文件夹中没有训练图像；参与方要在本地训练，请选择含有训练集图像的文件夹再加入',
  'apiError.not-a-participant': '参与方 {participant} 不属于本任务；请先加入任务',
  'apiError.unknown-participant': '本任务中没有这个参与方',
  'apiError.too-many-joins': '加入请求过于频繁：本任务每分钟最多接纳 {perMinute} 个新参与方；请 {wait} 秒后重试',
  'apiError.task-not-found': '任务 {task} 不存在；请检查链接是否完整',
  'apiError.task-done': '任务 {task} 已完成；如需继续训练，请新建任务',
  'apiError.storage-full': '聚合服务器的存储空间已满：本次数据没有保存，任务也没有任何改动；请稍后重新发送（需由服务器管理员释放空间）',
  'apiError.missing-token': '请求中缺少访问令牌；请通过发起人链接或邀请链接重新打开本页',
  'apiError.initiator-only': '此操作需要发起人令牌（聚合服务器启动时会打印出来）',
  'apiError.participants-only': '此操作仅限参与方；请先加入任务',
  'apiError.unknown-token': '该令牌不属于本任务；请通过邀请链接重新加入',
  'apiError.participant-left': '该参与方已退出任务；如需继续参与，请重新加入',
  'apiError.bundle-too-large': '模型包超过 {mb} MB，超出聚合服务器的上限',
  'apiError.json-too-large': '请求内容超过 {mb} MB',
  'apiError.create-json-too-large': 'JSON 请求内容超过 {mb} MB；上传模型包（zip）时请使用 Content-Type: application/zip',
  'apiError.builtin-bundle-unknown': '没有名为“{bundle}”的内置模型包',
  'apiError.too-few-labels': '模型包的标签少于两个；请先按您的数据集为模型包设置标签，再创建任务',
  'apiError.result-not-ready': '任务结束后才能下载结果模型包',
  'apiError.no-trained-model': '还没有完成任何一轮训练，因此尚无训练好的模型',
  'apiError.no-such-route': '聚合服务器没有这个接口；网页与聚合服务器的版本可能不一致，请刷新页面',
  'apiError.bad-path': '网址中有格式错误的 % 转义（% 后必须跟两位十六进制数字）；请检查链接',
  'apiError.update-already-accepted': '第 {round} 轮已收到参与方 {participant} 的更新',
}
