import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

/** axe-core's script, put into a page by DevTools (the app's Content-Security-Policy would refuse an inline script). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** The rules checked: WCAG 2.0 and 2.1, levels A and AA (what public institutions are held to). */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

/** What axe-core found wrong on the page as it is now, one line per element: `label: rule (impact) selector: what to fix`. */
export async function accessibilityViolations(page: Page, label: string): Promise<string[]> {
  await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async (tags) => {
    type Result = { violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> }
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<Result> } }).axe
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
    return result.violations.flatMap((v) => v.nodes.map((n) => ({ id: v.id, impact: v.impact, target: n.target.map(String).join(' '), summary: (n.failureSummary ?? '').replace(/\s+/g, ' ') })))
  }, TAGS)
  return violations.map((v) => `${label}: ${v.id} (${v.impact ?? 'unknown'}) ${v.target}: ${v.summary}`)
}
