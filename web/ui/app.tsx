import { useState } from 'hono/jsx/dom'
import type { Child } from 'hono/jsx'
import { LangContext, initialLang, persistLang, translate } from './i18n'
import type { Lang } from './i18n'
import { onLinkClick, useRoute } from './router'
import type { Route } from './router'
import { HomePage } from './pages/home'
import { PredictPage } from './pages/predict'
import { EvaluatePage } from './pages/evaluate'
import { JoinPage } from './pages/join'
import { CreatePage } from './pages/create'
import { TaskPage } from './pages/task'
import { ResultsPage } from './pages/results'
import { InsecureNotice } from './insecure-notice'

function page(route: Route): Child {
  switch (route.page) {
    case 'home':
      return <HomePage />
    case 'create':
      return <CreatePage />
    case 'join':
      return <JoinPage taskId={route.taskId} />
    case 'task':
      return <TaskPage taskId={route.taskId} />
    case 'results':
      return <ResultsPage taskId={route.taskId} />
    case 'predict':
      return <PredictPage />
    case 'evaluate':
      return <EvaluatePage />
    default:
      return (
        <section>
          <h1>404</h1>
          <p>
            <code>{location.pathname}</code>
          </p>
        </section>
      )
  }
}

/** The whole app: header with navigation and language switch, then the page for the current path. */
export function App() {
  const route = useRoute()
  const [lang, setLang] = useState<Lang>(initialLang)
  const t = (key: Parameters<typeof translate>[1]) => translate(lang, key)
  const toggle = () => {
    const next: Lang = lang === 'en' ? 'zh' : 'en'
    persistLang(next)
    setLang(next)
  }
  return (
    <LangContext.Provider value={lang}>
      <div class="shell" onClick={onLinkClick}>
        <header class="top">
          <a class="brand" href="/">
            {t('app.name')}
          </a>
          <nav>
            <a href="/" class={route.page === 'home' ? 'active' : ''}>
              {t('nav.home')}
            </a>
            <a href="/create" class={route.page === 'create' ? 'active' : ''}>
              {t('nav.create')}
            </a>
            <a href="/predict" class={route.page === 'predict' ? 'active' : ''}>
              {t('nav.predict')}
            </a>
            <a href="/evaluate" class={route.page === 'evaluate' ? 'active' : ''}>
              {t('nav.evaluate')}
            </a>
          </nav>
          <button type="button" class="lang" data-testid="lang-switch" onClick={toggle}>
            {t('lang.switch')}
          </button>
        </header>
        <main>
          <InsecureNotice />
          {page(route)}
        </main>
      </div>
    </LangContext.Provider>
  )
}
