import MarkdownIt from 'markdown-it'
import { CARD_FILE, parseModelCard, unzipBundle } from '../../shared/bundle'

// html: false escapes every tag written in the Markdown (a `<script>` shows as text), and markdown-it's
// validateLink refuses javascript:, vbscript:, file: and non-image data: URLs, so a Model Card cannot
// inject script whatever it holds. linkify makes bare URLs links; typographer stays off (quotes as written).
const md = new MarkdownIt({ html: false, linkify: true, typographer: false })

// Links in a description leave the app: a new tab, no opener, no referrer.
const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options))
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('target', '_blank')
  tokens[idx].attrSet('rel', 'noopener noreferrer')
  return defaultLinkOpen(tokens, idx, options, env, self)
}

/** Markdown to HTML that holds no tag or script of the author's: safe to put into the page. */
export function renderMarkdown(text: string): string {
  return md.render(text)
}

/** The Model Card's description (its Markdown body) from a bundle zip; '' when it has none or cannot be read. */
export function descriptionOfZip(zip: Uint8Array): string {
  const files = unzipBundle(zip, { file: 'bundle' })
  if (!files.ok) return ''
  const readme = files.value.get(CARD_FILE)
  if (!readme) return ''
  const card = parseModelCard(new TextDecoder().decode(readme))
  return card.ok ? card.value.description : ''
}

/** A Model Card description rendered from Markdown, under `title` when given; nothing when it is empty. */
export function ModelDescription(props: { text: string | null | undefined; testId?: string; title?: string }) {
  const text = props.text?.trim() ?? ''
  if (text === '') return null
  const card = <div class="markdown card" data-testid={props.testId ?? 'model-description'} dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />
  if (!props.title) return card
  return (
    <>
      <h2>{props.title}</h2>
      {card}
    </>
  )
}
