import type { Page } from 'playwright-core'
import { waitForWork } from './progress'
import type { WorkWatch } from './progress'

/**
 * Joins a task through its join page with `folder` given to `<input webkitdirectory>`, then pins the dashboard's
 * backend and waits until the session runs. `beforeJoin` runs once the page has checked the folder.
 */
export async function joinThroughPage(
  page: Page,
  o: { url: string; taskId: string; invite: string; name: string; folder: string; backend: string; watch: WorkWatch; beforeJoin?: () => Promise<void> },
): Promise<void> {
  await page.goto(`${o.url}/join/${o.taskId}#invite=${o.invite}`)
  await page.getByTestId('join-name').fill(o.name)
  await page.getByTestId('folder-input').setInputFiles(o.folder)
  await waitForWork(page, 'count-train', /^\d+$/, undefined, o.watch)
  await o.beforeJoin?.()
  await page.getByTestId('join-button').click()
  await page.waitForURL(`**/tasks/${o.taskId}`)
  await page.getByTestId('backend-override').selectOption(o.backend)
  await waitForWork(page, 'backend', new RegExp(`^${o.backend}$`), undefined, o.watch)
  await waitForWork(page, 'session-status', /^running$/, 'data-status', o.watch)
}
