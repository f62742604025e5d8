import { describe, expect, it } from 'vitest'
import { renderMarkdown } from './markdown'

describe('renderMarkdown', () => {
  it('renders headings, emphasis, lists and links', () => {
    expect(renderMarkdown('# Digits\n\nA *small* CNN:\n\n- 2 convs\n- [paper](https://arxiv.org/abs/1602.05629)\n')).toBe(
      '<h1>Digits</h1>\n<p>A <em>small</em> CNN:</p>\n<ul>\n<li>2 convs</li>\n<li><a href="https://arxiv.org/abs/1602.05629" target="_blank" rel="noopener noreferrer">paper</a></li>\n</ul>\n',
    )
  })
  it('shows a <script> and inline HTML as text', () => {
    expect(renderMarkdown('<script>alert(1)</script>\n\nok <img src=x onerror=alert(2)>')).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>ok &lt;img src=x onerror=alert(2)&gt;</p>\n',
    )
  })
  it('refuses javascript: and data: links', () => {
    const html = renderMarkdown('[a](javascript:alert(1)) [b](data:text/html,<script>x</script>) ![c](javascript:alert(3))')
    expect(html).not.toContain('href="javascript')
    expect(html).not.toContain('href="data:')
    expect(html).not.toContain('src="javascript')
  })
})
