import type { PreprocessorConfig } from '../preprocess/config'

/** One named float32 tensor: the unit bundles, the trainer and the aggregator exchange. */
export type NamedTensor = { name: string; shape: number[]; data: Float32Array }

/** `config.json` of a bundle (README, Formats); keys beyond these are passed to the model builder untouched. */
export type BundleConfig = {
  entry_file?: string
  entry_module?: string
  entry_class: string
  param_file: string
  id2label?: Record<string, string>
  label2id?: Record<string, number>
  learning_rate?: number
  epochs?: number
  batch_size?: number
  [key: string]: unknown
}

/** The Model Card front matter of `README.md`, plus its Markdown body. */
export type ModelCard = {
  name: string
  displayName: string
  tasks: string[]
  license: string
  author: string
  framework?: string
  tags?: string[]
  isFederated?: boolean
  datasets?: string[]
  /** Every front-matter key as written, unknown ones included. */
  frontMatter: Record<string, unknown>
  /** The Markdown body, shown to users as the model's description. */
  description: string
}

/** A validated bundle: its parsed parts, its weights and every file it holds. */
export type Bundle = {
  card: ModelCard
  config: BundleConfig
  preprocessor: PreprocessorConfig
  weights: NamedTensor[]
  files: Map<string, Uint8Array>
}
