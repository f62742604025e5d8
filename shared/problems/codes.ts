/**
 * Problems a page words in its own language: a code and the values the English message is made of. The
 * English stays the problem's `message` (the CLI prints it); web/ui/dataset-messages.ts composes the
 * same sentence, in English or Chinese, from these. Problems without a code are shown as their message.
 * So far they are the dataset problems a person meets choosing a folder (shared/dataset/messages.ts).
 */
export type ProblemCause =
  | { code: 'no-images' }
  | { code: 'single-class-folder'; params: { count: number; label: string } }
  | { code: 'no-labelled-images'; params: { unlabelled: number } }
  | { code: 'none-readable'; params: { count: number; training: boolean } }
  | { code: 'unknown-labels'; params: { unknown: string[]; taskLabels: string[] } }
  | { code: 'no-training-images'; params: { imageFolder: boolean } }
  | { code: 'untrained-labels'; params: { labels: string[] } }
  | { code: 'no-test-split' }
  | { code: 'extra-csvs'; params: { ignored: string[] } }

/** The codes of ProblemCause. */
export type ProblemCode = ProblemCause['code']
