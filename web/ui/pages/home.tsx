import { useEffect, useState } from 'hono/jsx/dom'
import { listMemberships } from '../../store'
import type { Membership } from '../../store'
import { useT } from '../i18n'

/** What autofed is, where to go next, and the tasks this browser joined. */
export function HomePage() {
  const t = useT()
  const [tasks, setTasks] = useState<Membership[] | null>(null)
  useEffect(() => {
    listMemberships().then(setTasks, () => setTasks([]))
  }, [])
  return (
    <section>
      <h1>{t('app.tagline')}</h1>
      <p class="muted">{t('home.intro')}</p>
      <div class="cards">
        <div class="card">
          <h3>{t('home.join.title')}</h3>
          <p>{t('home.join.text')}</p>
        </div>
        <div class="card">
          <h3>{t('home.create.title')}</h3>
          <p>{t('home.create.text')}</p>
          <a class="button" href="/create">
            {t('nav.create')}
          </a>
        </div>
        <div class="card">
          <h3>{t('home.predict.title')}</h3>
          <p>{t('home.predict.text')}</p>
          <a class="button" href="/predict">
            {t('nav.predict')}
          </a>
        </div>
      </div>
      <h2>{t('home.mytasks')}</h2>
      {tasks === null ? (
        <p class="muted">{t('common.loading')}</p>
      ) : tasks.length === 0 ? (
        <p class="muted">{t('home.notasks')}</p>
      ) : (
        <ul>
          {tasks.map((m) => (
            <li>
              <a href={`/tasks/${encodeURIComponent(m.taskId)}`}>{m.taskId}</a> <span class="muted">({m.name})</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
