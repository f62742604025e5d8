import { render } from 'hono/jsx/dom'
import { App } from './ui/app'
import { initialLang, persistLang } from './ui/i18n'
import 'uplot/dist/uPlot.min.css'
import './ui/style.css'

persistLang(initialLang())
render(<App />, document.getElementById('app')!)
