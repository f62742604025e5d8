import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppDeps } from './deps'
import { attachment } from './download'

/** The built-in bundles, for the create page. */
export function bundleRoutes(deps: AppDeps): Hono {
  const app = new Hono()
  app.get('/', async (c) => c.json(await deps.bundles.list()))
  app.get('/:id/zip', async (c) => {
    const found = await deps.bundles.get(c.req.param('id'))
    if (!found) throw new HTTPException(404, { message: `no built-in bundle "${c.req.param('id')}"` })
    return c.body(found.zip as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/zip', 'Content-Disposition': attachment(`${c.req.param('id')}.zip`) })
  })
  return app
}
