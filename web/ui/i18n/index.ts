import { createContext, useContext } from 'hono/jsx/dom'
import { fillTemplate } from '../../../shared/log-lines/template'
import { EN, type StringKey, type Table } from './en'
import { ZH } from './zh'

export type { StringKey } from './en'

export type Lang = 'en' | 'zh'
const TABLES: Record<Lang, Table> = { en: EN, zh: ZH }
const STORAGE_KEY = 'autofed.lang'

/** The language to start in: the one chosen before, else the browser's preference. */
export function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY)
  if (saved === 'en' || saved === 'zh') return saved
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en'
}

/** Remembers the chosen language and tags the document with it (fonts, screen readers). */
export function persistLang(lang: Lang): void {
  localStorage.setItem(STORAGE_KEY, lang)
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
}

/** Looks a string up and fills `{name}` placeholders. */
export function translate(lang: Lang, key: StringKey, vars?: Record<string, string | number>): string {
  const text = TABLES[lang][key]
  return vars ? fillTemplate(text, vars) : text
}

export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string

export const LangContext = createContext<Lang>('en')

/** The translate function for the current language. */
export function useT(): Translate {
  const lang = useContext(LangContext)
  return (key, vars) => translate(lang, key, vars)
}

const LOCALES: Record<Lang, string> = { en: 'en', zh: 'zh-CN' }

/** Formats a date and time (epoch ms) for the page's language, whatever the browser's own locale is. */
export function useDateTime(): (ms: number) => string {
  const lang = useContext(LangContext)
  return (ms) => new Date(ms).toLocaleString(LOCALES[lang])
}

/** Formats a time of day (epoch ms) for the page's language, whatever the browser's own locale is. */
export function useClockTime(): (ms: number) => string {
  const lang = useContext(LangContext)
  return (ms) => new Date(ms).toLocaleTimeString(LOCALES[lang])
}
