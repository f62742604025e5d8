/*
 * The lines of a task's log that autofed writes: one builder per kind of line (the English the wire, the
 * stored log and the command line carry, unchanged), and the parser that reads a line back into a code and
 * values, so the dashboard can say it in the page's language (web/ui/i18n `log.<code>`).
 */
export {
  averagedLine,
  budgetSpentLine,
  doneUntestedLine,
  finishedLine,
  initialLine,
  initialNoneLine,
  lateJoinLine,
  overBound,
  retryLine,
  scaledDownLine,
  secaggStepLine,
  secaggStoppedLine,
  serverStateLine,
  testedLine,
  testWaitingLine,
  validationLine,
  waitingLine,
} from './aggregator'
export type { SecaggFailure } from './aggregator'
export {
  beginTrainingLine,
  noImageLine,
  noisedLine,
  notTakenLine,
  problemLine,
  refusedLine,
  resendLine,
  resumeTrainingLine,
  secureClippedLine,
  secureCompleteLine,
  secureLostLine,
  testingResultLine,
  trainingCompleteLine,
  validationResultLine,
} from './participant'
export type { EpochFigures } from './participant'
export { AGGREGATOR_FORMATS, LOG_FORMATS, PARTICIPANT_FORMATS, SECURE_LOST_REASONS } from './formats'
export type { LogLineCode } from './formats'
export { exampleLines } from './examples'
export { parseLogLine } from './parse'
export type { ParsedLogLine } from './parse'
