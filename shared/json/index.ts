export { lineColumn, parseJson, utf8 } from './parse'
