export { invalidJson, lineColumn, parseJson, utf8 } from './parse'
