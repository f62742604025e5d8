import { useEffect, useState } from 'hono/jsx/dom'

/** A page the app can show, with the parameters taken from its path. */
export type Route =
  | { page: 'home' }
  | { page: 'create' }
  | { page: 'join'; taskId: string }
  | { page: 'task'; taskId: string }
  | { page: 'results'; taskId: string }
  | { page: 'predict' }
  | { page: 'evaluate' }
  | { page: 'notfound'; path: string }

const PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => Route]> = [
  [/^\/$/, () => ({ page: 'home' })],
  [/^\/create\/?$/, () => ({ page: 'create' })],
  [/^\/join\/([^/]+)\/?$/, (m) => ({ page: 'join', taskId: decodeURIComponent(m[1]) })],
  [/^\/tasks\/([^/]+)\/?$/, (m) => ({ page: 'task', taskId: decodeURIComponent(m[1]) })],
  [/^\/tasks\/([^/]+)\/results\/?$/, (m) => ({ page: 'results', taskId: decodeURIComponent(m[1]) })],
  [/^\/predict\/?$/, () => ({ page: 'predict' })],
  [/^\/evaluate\/?$/, () => ({ page: 'evaluate' })],
]

/** Maps a pathname to a route. */
export function matchRoute(pathname: string): Route {
  for (const [pattern, make] of PATTERNS) {
    const m = pathname.match(pattern)
    if (m) return make(m)
  }
  return { page: 'notfound', path: pathname }
}

const REMEMBERED = 'autofed.fragment:'

/** Where a fragment value read on `pathname` is kept for this tab (sessionStorage: gone with the tab). */
export function rememberedSlot(pathname: string, key: string): string {
  return `${REMEMBERED}${pathname}#${key}`
}

/**
 * Reads `key` from the URL fragment (`#invite=…&x=…`): secrets live there so they stay out of server
 * logs. Once read, the value is taken out of the address bar (history.replaceState: out of the history,
 * bookmarks and screen shares) and kept in sessionStorage for this page, so later renders and a reload
 * of the tab still find it.
 */
export function fragmentParam(key: string, loc: Pick<Location, 'pathname' | 'search' | 'hash'> = location, storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeSessionStorage(), replace: (url: string) => void = (url) => history.replaceState(history.state, '', url)): string | null {
  const slot = rememberedSlot(loc.pathname, key)
  const params = new URLSearchParams(loc.hash.slice(1))
  const fresh = params.get(key)
  if (fresh === null) return storage?.getItem(slot) ?? null
  storage?.setItem(slot, fresh)
  params.delete(key)
  const rest = params.toString()
  replace(loc.pathname + loc.search + (rest ? `#${rest}` : ''))
  return fresh
}

/** sessionStorage, or null where the browser refuses it (storage disabled). */
function safeSessionStorage(): Storage | null {
  try {
    return sessionStorage
  } catch {
    return null
  }
}

/** Goes to a path inside the app without reloading the page. */
export function navigate(to: string): void {
  history.pushState(null, '', to)
  dispatchEvent(new PopStateEvent('popstate'))
}

/** The current route, updated on back/forward and on navigate(). */
export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => matchRoute(location.pathname))
  useEffect(() => {
    const update = () => setRoute(matchRoute(location.pathname))
    addEventListener('popstate', update)
    return () => removeEventListener('popstate', update)
  }, [])
  return route
}

/** Click handler for in-app links: plain clicks navigate without a reload, modified clicks keep browser behaviour. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.target as Element | null)?.closest('a')
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
  if (a.target || a.hasAttribute('download') || a.origin !== location.origin || a.pathname.startsWith('/api/')) return
  e.preventDefault()
  navigate(a.pathname + a.search + a.hash)
}
