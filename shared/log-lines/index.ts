/*
 * The lines of a task's log that autofed writes: one builder per kind of line (the English the wire, the
 * stored log and the command line carry, unchanged), and the parser that reads a line back into a code and
 * values, so the dashboard can say it in the page's language (web/ui/i18n `log.<code>`).
 */
export * from './aggregator'
export * from './participant'
export { AGGREGATOR_FORMATS, LOG_FORMATS, PARTICIPANT_FORMATS, SECURE_LOST_REASONS } from './formats'
export type { LogLineCode } from './formats'
export { exampleLines } from './examples'
export { parseLogLine } from './parse'
export type { ParsedLogLine } from './parse'
