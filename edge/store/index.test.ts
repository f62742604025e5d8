import { createMemoryStore } from '.'
import { storeCases } from './store.case'

storeCases('memory', async () => ({ store: createMemoryStore() }))
