import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { guarded } from './app'
import { predictRoutes, type PredictDeps } from './routes'

/** The paths the predict routes answer (the Worker sends only these to the predict app). */
export const PREDICT_PATHS = ['/api/predict', '/api/model'] as const

/**
 * `autofed serve`'s whole server: the predict routes under /api with the aggregator's security headers,
 * path check and `{ error }` answers; every other path is 404 naming the routes there are.
 */
export function createPredictApp(deps: PredictDeps): Hono {
  const app = guarded(new Hono())
  app.route('/api', predictRoutes(deps))
  app.all('*', () => {
    throw new HTTPException(404, { message: 'no such route: this server answers POST /api/predict (one image) and GET /api/model' })
  })
  return app
}
