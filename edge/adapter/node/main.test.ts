import { rm } from 'node:fs/promises'
import { afterAll } from 'vitest'
import { hostileCases } from '../../hostile.case'
import { protocolCases } from '../../protocol.case'
import { secaggCases } from '../../secagg.case'
import { nodeProcess } from './process.case'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const connect = () => nodeProcess(dirs)

protocolCases('Node process (npm start entry)', connect)
hostileCases('Node process (npm start entry)', connect)
secaggCases('Node process (npm start entry)', connect)
