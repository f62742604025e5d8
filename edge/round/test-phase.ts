import { doneUntestedLine, testedLine, testWaitingLine } from '../../shared/log-lines'
import { accuracyOf, checkConfusion, emptyConfusion, mergeConfusion, perClassMetrics } from '../../shared/metrics'
import type { TestReport, TestResult } from '../../shared/wire'
import { serverLog } from './logs'
import { activeIds, declaredCounts } from './participants'
import type { EngineDeps, Runtime } from './runtime'
import { anyoneHas, reportsComplete } from './splits'
import { checkTestReport } from './trust'
import { RoundError, type TaskRecord, type TestAccum } from './types'

/**
 * The test phase: once training stops, every online participant tests the best version on its test
 * images; the combined confusion matrix is the task's result. The same reports, during a validate phase
 * with `testDue` (log_rounds), become that round's test metrics.
 */

/** No test report yet, for `n` labels. */
export const emptyTest = (n: number): TestAccum => ({ examples: 0, lossSum: 0, confusion: emptyConfusion(n), reports: 0 })

/** The combined result of the test reports received, on `version`. */
export function testResult(rec: TaskRecord, version: number): TestResult {
  const t = rec.test
  return {
    version,
    examples: t.examples,
    loss: t.examples === 0 ? 0 : t.lossSum / t.examples,
    accuracy: accuracyOf(t.confusion),
    confusion: t.confusion,
    perClass: perClassMetrics(t.confusion, rec.labels),
  }
}

/** Checks a test report's shape and its bounds against what the participant declared at join (422). */
export function checkTest(rec: TaskRecord, participantId: string, report: TestReport): void {
  const bad = checkConfusion(report.confusion, rec.labels.length)
  if (bad) throw new RoundError(422, `${bad}, in task label order (${rec.labels.join(', ')})`)
  const counted = report.confusion.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0)
  if (counted !== report.examples) throw new RoundError(422, `confusion counts ${counted} examples but examples is ${report.examples}`)
  checkTestReport(report, rec.labels, declaredCounts(rec, participantId))
}

/**
 * Adds a checked test report to the open test: the test phase's (`'test'`) or a validate phase's with a
 * test due (`'validate'`); 409 when none is open, it names another version, or the participant reported.
 */
export function addTest(rec: TaskRecord, participantId: string, report: TestReport): 'test' | 'validate' {
  const inTest = rec.state === 'running' && rec.phase === 'test'
  const inLog = rec.state === 'running' && rec.phase === 'validate' && rec.testDue
  if (!inTest && !inLog) throw new RoundError(409, `no test is open (phase ${rec.phase ?? 'none'})`)
  const want = inTest ? (rec.early.bestVersion ?? rec.version) : rec.version
  if (report.version !== undefined && report.version !== want) throw new RoundError(409, `the open test is on version ${want}, not ${report.version}`)
  if (rec.testReported.includes(participantId)) throw new RoundError(409, `test result from ${participantId} was already received`)
  rec.testReported.push(participantId)
  if (inTest) rec.reported.push(participantId)
  rec.test.examples += report.examples
  rec.test.lossSum += report.loss * report.examples
  mergeConfusion(rec.test.confusion, report.confusion)
  rec.test.reports += 1
  return inTest ? 'test' : 'validate'
}

/** Opens the test phase on the best version, waiting for the participants online now. */
export function openTest(deps: EngineDeps, rt: Runtime): void {
  const { rec } = rt
  rec.phase = 'test'
  rec.expected = activeIds(rec)
  rec.reported = []
  rec.testReported = []
  rec.test = emptyTest(rec.labels.length)
  rec.deadline = deps.clock.now() + rec.params.calculation_timeout * 1000
}

/** The test phase may end: everyone holding test images reported, or nobody holds any. */
export function testClosable(rec: TaskRecord): boolean {
  return reportsComplete(rec) && (rec.test.reports > 0 || !anyoneHas(rec, 'test'))
}

/** Ends the task (write point `test-close`); with no test report (no participant holds test images) the result stays null and the log says why. */
export function closeTest(deps: EngineDeps, rt: Runtime): void {
  const { rec } = rt
  rt.closing = 'test-close'
  const version = rec.early.bestVersion ?? rec.version
  rec.result = rec.test.reports > 0 ? testResult(rec, version) : null
  rec.state = 'done'
  rec.phase = null
  rec.deadline = null
  rec.expected = []
  serverLog(deps, rt, rec.result ? testedLine(rec.result) : doneUntestedLine({ version }))
}

/** The test phase's deadline passed: true when it may end; otherwise it waits another calculation_timeout for a first report. */
export function testDeadline(deps: EngineDeps, rt: Runtime): boolean {
  const { rec } = rt
  if (rec.test.reports > 0 || !anyoneHas(rec, 'test')) return true
  serverLog(deps, rt, testWaitingLine({ version: rec.early.bestVersion ?? rec.version }))
  rec.expected = activeIds(rec)
  rec.deadline = deps.clock.now() + rec.params.calculation_timeout * 1000
  return false
}
